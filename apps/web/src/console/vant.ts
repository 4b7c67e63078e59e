import type { App } from 'vue';
import {
  Button,
  Cell,
  CellGroup,
  Checkbox,
  CheckboxGroup,
  Dialog,
  Empty,
  Field,
  Icon,
  Loading,
  Notify,
  Popup,
  Radio,
  RadioGroup,
  Switch,
  Tab,
  Tabs,
  Tag,
  Toast,
} from 'vant';
import 'vant/es/button/style/index';
import 'vant/es/cell/style/index';
import 'vant/es/cell-group/style/index';
import 'vant/es/checkbox/style/index';
import 'vant/es/checkbox-group/style/index';
import 'vant/es/dialog/style/index';
import 'vant/es/empty/style/index';
import 'vant/es/field/style/index';
import 'vant/es/icon/style/index';
import 'vant/es/loading/style/index';
import 'vant/es/notify/style/index';
import 'vant/es/popup/style/index';
import 'vant/es/radio/style/index';
import 'vant/es/radio-group/style/index';
import 'vant/es/switch/style/index';
import 'vant/es/tab/style/index';
import 'vant/es/tabs/style/index';
import 'vant/es/tag/style/index';
import 'vant/es/toast/style/index';

/** Only the Vant components the console uses (tree-shaken JS and CSS). */
export function useVant(app: App): void {
  for (const c of [
    Button,
    Cell,
    CellGroup,
    Checkbox,
    CheckboxGroup,
    Dialog,
    Empty,
    Field,
    Icon,
    Loading,
    Notify,
    Popup,
    Radio,
    RadioGroup,
    Switch,
    Tab,
    Tabs,
    Tag,
    Toast,
  ]) {
    app.use(c);
  }
}
