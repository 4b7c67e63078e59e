import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import { CONSOLE_ROLES, homeFor, session } from './state';

const ALL = CONSOLE_ROLES;
const routes: RouteRecordRaw[] = [
  {
    path: '/sign-in',
    name: 'sign-in',
    component: () => import('./views/SignIn.vue'),
    meta: { public: true },
  },
  { path: '/', name: 'home', redirect: () => homeFor(session.state.user?.role) },
  {
    path: '/funders',
    name: 'funders',
    component: () => import('./views/Funders.vue'),
    meta: { title: '出资方', roles: ALL },
  },
  {
    path: '/campaigns',
    name: 'campaigns',
    component: () => import('./views/Campaigns.vue'),
    meta: { title: '活动与券批次', roles: ALL },
  },
  {
    path: '/campaigns/:id',
    name: 'campaign',
    component: () => import('./views/CampaignDetail.vue'),
    meta: { title: '活动详情', roles: ALL, menu: 'campaigns' },
  },
  {
    path: '/merchants',
    name: 'merchants',
    component: () => import('./views/Merchants.vue'),
    meta: { title: '商户审核', roles: ALL },
  },
  {
    path: '/board',
    name: 'board',
    component: () => import('./views/ClaimBoard.vue'),
    meta: { title: '实时领取看板', roles: ['operator', 'auditor'] },
  },
  {
    path: '/settlement',
    name: 'settlement',
    component: () => import('./views/Settlement.vue'),
    meta: { title: '结算与打款', roles: ['finance', 'auditor'] },
  },
  {
    path: '/reports',
    name: 'reports',
    component: () => import('./views/Reports.vue'),
    meta: { title: '撬动报表', roles: ALL },
  },
  {
    path: '/audit',
    name: 'audit',
    component: () => import('./views/AuditLog.vue'),
    meta: { title: '审计日志', roles: ['operator', 'auditor'] },
  },
  { path: '/:rest(.*)*', redirect: '/' },
];

export const router = createRouter({ history: createWebHistory('/console/'), routes });

router.beforeEach((to) => {
  if (to.meta.public) return true;
  // A deep link comes back after sign-in; the bare console goes to the role's home page.
  if (!session.signedIn) return { name: 'sign-in', query: to.redirectedFrom ? {} : { next: to.fullPath } };
  const roles = to.meta.roles as string[] | undefined;
  if (roles && !roles.includes(session.state.user!.role)) return homeFor(session.state.user!.role);
  return true;
});

router.afterEach((to) => {
  document.title = to.meta.title ? `${String(to.meta.title)} - 锦鲤 管理后台` : '锦鲤 管理后台';
});

session.onSignOut(() => {
  void router.replace({ name: 'sign-in' });
});

export const MENU = routes.filter((r) => r.meta?.title && !r.meta?.menu);
