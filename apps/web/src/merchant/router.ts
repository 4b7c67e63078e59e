import { createRouter, createWebHistory } from 'vue-router';
import { awaitingApproval, isOwner, loadMyMerchant, session } from './state';

export const router = createRouter({
  history: createWebHistory('/merchant/'),
  routes: [
    {
      path: '/sign-in',
      name: 'sign-in',
      component: () => import('./views/SignIn.vue'),
      meta: { public: true },
    },
    {
      path: '/apply',
      name: 'apply',
      component: () => import('./views/Apply.vue'),
      meta: { public: true, title: '商户入驻申请' },
    },
    { path: '/', name: 'home', redirect: () => (isOwner() ? '/owner' : '/till') },
    {
      path: '/till',
      name: 'till',
      component: () => import('./views/Till.vue'),
      meta: { title: '收银核销', roles: ['cashier'] },
    },
    {
      path: '/today',
      name: 'today',
      component: () => import('./views/Today.vue'),
      meta: { title: '今日核销', roles: ['cashier', 'merchant_owner'], approved: true },
    },
    {
      path: '/owner',
      name: 'owner',
      component: () => import('./views/OwnerDay.vue'),
      meta: { title: '门店汇总', roles: ['merchant_owner'], approved: true },
    },
    {
      path: '/statements',
      name: 'statements',
      component: () => import('./views/Statements.vue'),
      meta: { title: '结算单', roles: ['merchant_owner'], approved: true },
    },
    {
      path: '/staff',
      name: 'staff',
      component: () => import('./views/Staff.vue'),
      meta: { title: '门店与员工', roles: ['merchant_owner'], approved: true },
    },
    {
      path: '/status',
      name: 'status',
      component: () => import('./views/Status.vue'),
      meta: { title: '入驻审核', roles: ['merchant_owner'] },
    },
    {
      path: '/me',
      name: 'me',
      component: () => import('./views/Me.vue'),
      meta: { title: '我的', roles: ['cashier', 'merchant_owner'] },
    },
    { path: '/:rest(.*)*', redirect: '/' },
  ],
});

router.beforeEach(async (to) => {
  if (to.meta.public) return true;
  if (!session.signedIn) return { name: 'sign-in' };
  const roles = to.meta.roles as string[] | undefined;
  if (roles && !roles.includes(session.state.user!.role)) return isOwner() ? '/owner' : '/till';
  // An owner whose application is pending or rejected has no stores' day to see yet.
  if (to.meta.approved && isOwner()) {
    try {
      if (awaitingApproval(await loadMyMerchant())) return { name: 'status' };
    } catch {
      // Unreachable or refused: the page itself says so.
    }
  }
  return true;
});

router.afterEach((to) => {
  document.title = to.meta.title ? `${String(to.meta.title)} - 锦鲤 商户收银台` : '锦鲤 商户收银台';
});

session.onSignOut(() => {
  void router.replace({ name: 'sign-in' });
});
