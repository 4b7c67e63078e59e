import type { App } from 'vue';
import {
  Button,
  Cell,
  CellGroup,
  Dialog,
  Empty,
  Field,
  Icon,
  Loading,
  NavBar,
  NoticeBar,
  Notify,
  Popup,
  PullRefresh,
  Tab,
  Tabbar,
  TabbarItem,
  Tabs,
  Tag,
  Toast,
} from 'vant';
import 'vant/es/button/style/index';
import 'vant/es/cell/style/index';
import 'vant/es/cell-group/style/index';
import 'vant/es/dialog/style/index';
import 'vant/es/empty/style/index';
import 'vant/es/field/style/index';
import 'vant/es/icon/style/index';
import 'vant/es/loading/style/index';
import 'vant/es/nav-bar/style/index';
import 'vant/es/notice-bar/style/index';
import 'vant/es/notify/style/index';
import 'vant/es/popup/style/index';
import 'vant/es/pull-refresh/style/index';
import 'vant/es/tab/style/index';
import 'vant/es/tabbar/style/index';
import 'vant/es/tabbar-item/style/index';
import 'vant/es/tabs/style/index';
import 'vant/es/tag/style/index';
import 'vant/es/toast/style/index';

/** Only the Vant components the phone pages (H5, till) use: a citizen on 4G waits for every kilobyte. */
export function useVant(app: App): void {
  for (const c of [
    Button,
    Cell,
    CellGroup,
    Dialog,
    Empty,
    Field,
    Icon,
    Loading,
    NavBar,
    NoticeBar,
    Notify,
    Popup,
    PullRefresh,
    Tab,
    Tabbar,
    TabbarItem,
    Tabs,
    Tag,
    Toast,
  ]) {
    app.use(c);
  }
}
