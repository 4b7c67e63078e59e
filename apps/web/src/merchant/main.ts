import { createApp } from 'vue';
import App from './App.vue';
import { router } from './router';
import { useVant } from '../shared/vant-mobile';
import './merchant.css';

const app = createApp(App);
useVant(app);
app.use(router);
app.mount('#app');
