import { createRouter, createWebHistory } from 'vue-router';
import { session } from './state';

export const router = createRouter({
  history: createWebHistory('/h5/'),
  routes: [
    {
      path: '/sign-in',
      name: 'sign-in',
      component: () => import('./views/SignIn.vue'),
      meta: { public: true },
    },
    {
      path: '/',
      name: 'home',
      component: () => import('./views/Home.vue'),
      meta: { title: '领券中心', tab: true, public: true },
    },
    {
      path: '/vouchers',
      name: 'vouchers',
      component: () => import('./views/MyVouchers.vue'),
      meta: { title: '我的券', tab: true },
    },
    {
      path: '/vouchers/:id',
      name: 'voucher',
      component: () => import('./views/VoucherDetail.vue'),
      meta: { title: '券码' },
    },
    {
      path: '/me',
      name: 'me',
      component: () => import('./views/Me.vue'),
      meta: { title: '我的', tab: true },
    },
    { path: '/:rest(.*)*', redirect: '/' },
  ],
});

router.beforeEach((to) => {
  if (!to.meta.public && !session.signedIn) {
    return { name: 'sign-in', query: to.fullPath !== '/' ? { next: to.fullPath } : {} };
  }
  return true;
});

router.afterEach((to) => {
  document.title = to.meta.title ? `${String(to.meta.title)} - 锦鲤消费券` : '锦鲤消费券';
});

session.onSignOut(() => {
  void router.replace({ name: 'sign-in' });
});
