import { ApiError } from '../shared/api';

/**
 * Merchant enrolment (入驻申请) and the owner's own forms (stores, cashiers): the checks the page
 * makes before sending, and the API's refusals turned into a sentence beside the field they are
 * about. Field keys are the API's paths (`stores.0.name`, `owner.password`), as its
 * VALIDATION_FAILED details name them, so both sources land on the same field.
 */

export interface StoreForm {
  name: string;
  district: string;
  address: string;
}

export interface AccountForm {
  displayName: string;
  username: string;
  password: string;
  passwordConfirm: string;
}

export interface ApplicationForm {
  name: string;
  category: string;
  district: string;
  contactName: string;
  contactPhone: string;
  bankAccountName: string;
  bankName: string;
  bankAccountNo: string;
  stores: StoreForm[];
  owner: AccountForm;
}

export type FieldErrors = Record<string, string>;

interface FieldRule {
  label: string;
  /** What to do, said when the field is refused (by the page or by the API). */
  message: string;
  test?: (value: string) => boolean;
}

const trimmed = (min: number, max: number) => (v: string) => v.trim().length >= min && v.trim().length <= max;

/** The server's rules (apps/api/src/issuing/dto/merchant.dto.ts, PASSWORD_RULE), in words. */
const RULES: Record<string, FieldRule> = {
  name: { label: '商户名称', message: '请填写商户名称（2-100 个字）', test: trimmed(2, 100) },
  category: { label: '行业', message: '请选择行业', test: (v) => v !== '' },
  district: { label: '所在区域', message: '请选择所在区域', test: (v) => v !== '' },
  contactName: { label: '联系人', message: '请填写联系人姓名（最多 50 个字）', test: trimmed(1, 50) },
  contactPhone: {
    label: '联系电话',
    message: '请填写 11 位手机号码',
    test: (v) => /^1[3-9]\d{9}$/.test(v.trim()),
  },
  bankAccountName: {
    label: '账户户名',
    message: '请填写结算账户户名（与银行开户名一致，2-100 个字）',
    test: trimmed(2, 100),
  },
  bankName: {
    label: '开户行',
    message: '请填写开户行（2-100 个字），如：中国银行苏州分行',
    test: trimmed(2, 100),
  },
  bankAccountNo: {
    label: '银行账号',
    message: '银行账号为 8-30 位数字',
    test: (v) => /^\d{8,30}$/.test(compactDigits(v)),
  },
  stores: { label: '门店', message: '请至少填写一个门店' },
  'stores.*.name': { label: '门店名称', message: '请填写门店名称（最多 100 个字）', test: trimmed(1, 100) },
  'stores.*.district': { label: '门店区域', message: '请选择门店所在区域', test: (v) => v !== '' },
  'stores.*.address': {
    label: '门店地址',
    message: '地址最多 200 个字',
    test: (v) => v.trim().length <= 200,
  },
  'owner.displayName': { label: '姓名', message: '请填写姓名（最多 50 个字）', test: trimmed(1, 50) },
  'owner.username': {
    label: '用户名',
    message: '用户名为 3-64 位字母、数字或 _ . -',
    test: (v) => /^[A-Za-z0-9_.-]{3,64}$/.test(v.trim()),
  },
  'owner.password': {
    label: '密码',
    message: '密码至少 10 位，须同时包含字母和数字',
    test: (v) => /^(?=.*[A-Za-z])(?=.*\d).{10,128}$/.test(v),
  },
  'owner.passwordConfirm': { label: '确认密码', message: '两次输入的密码不一致' },
  storeId: { label: '所属门店', message: '请选择收银员所属的门店' },
};

/** "6217 8561 0001 2345 678" as the bank prints it: the digits alone. */
export function compactDigits(v: string): string {
  return v.replace(/[\s-]/g, '');
}

/** `stores.2.name` -> the rule of `stores.*.name`. */
function ruleFor(field: string): FieldRule | undefined {
  return RULES[field.replace(/\.\d+(?=\.|$)/g, '.*')];
}

/** `stores.1.name` -> 门店 2 名称: what the summary under the form lists. */
export function fieldLabel(field: string): string {
  const store = /^stores\.(\d+)\.(\w+)$/.exec(field);
  if (store) return `门店 ${Number(store[1]) + 1} ${ruleFor(field)?.label.replace(/^门店/, '') ?? store[2]}`;
  return ruleFor(field)?.label ?? field;
}

function check(errors: FieldErrors, field: string, value: string): void {
  const rule = ruleFor(field);
  if (rule?.test && !rule.test(value)) errors[field] = rule.message;
}

function checkAccount(errors: FieldErrors, a: AccountForm, prefix: string): void {
  check(errors, `${prefix}displayName`, a.displayName);
  check(errors, `${prefix}username`, a.username);
  check(errors, `${prefix}password`, a.password);
  if (!errors[`${prefix}password`] && a.password !== a.passwordConfirm)
    errors[`${prefix}passwordConfirm`] = RULES['owner.passwordConfirm'].message;
}

export function checkStore(errors: FieldErrors, s: StoreForm, prefix: string): void {
  check(errors, `${prefix}name`, s.name);
  check(errors, `${prefix}district`, s.district);
  check(errors, `${prefix}address`, s.address);
}

/** Every field the page can judge before sending; empty when the application may go. */
export function validateApplication(f: ApplicationForm): FieldErrors {
  const errors: FieldErrors = {};
  for (const field of [
    'name',
    'category',
    'district',
    'contactName',
    'contactPhone',
    'bankAccountName',
    'bankName',
    'bankAccountNo',
  ] as const) {
    check(errors, field, f[field]);
  }
  if (!f.stores.length) errors.stores = RULES.stores.message;
  f.stores.forEach((s, i) => checkStore(errors, s, `stores.${i}.`));
  checkAccount(errors, f.owner, 'owner.');
  return errors;
}

/** A new cashier: the store, then the same account rules as the owner's. */
export function validateCashier(storeId: number, a: AccountForm): FieldErrors {
  const errors: FieldErrors = {};
  if (!storeId) errors.storeId = RULES.storeId.message;
  checkAccount(errors, a, 'owner.');
  return renameKeys(errors, 'owner.', '');
}

export function validateNewStore(s: StoreForm): FieldErrors {
  const errors: FieldErrors = {};
  checkStore(errors, s, 'stores.0.');
  return renameKeys(errors, 'stores.0.', '');
}

function renameKeys(errors: FieldErrors, from: string, to: string): FieldErrors {
  return Object.fromEntries(
    Object.entries(errors).map(([k, v]) => [k.startsWith(from) ? to + k.slice(from.length) : k, v]),
  );
}

/** The body POST /api/v1/merchant-applications takes. */
export function applicationBody(f: ApplicationForm) {
  return {
    name: f.name.trim(),
    category: f.category,
    district: f.district,
    contactName: f.contactName.trim(),
    contactPhone: f.contactPhone.trim(),
    bankAccountName: f.bankAccountName.trim(),
    bankName: f.bankName.trim(),
    bankAccountNo: compactDigits(f.bankAccountNo),
    stores: f.stores.map((s) => ({
      name: s.name.trim(),
      district: s.district,
      ...(s.address.trim() ? { address: s.address.trim() } : {}),
    })),
    owner: accountBody(f.owner),
  };
}

export function accountBody(a: AccountForm) {
  return { username: a.username.trim(), password: a.password, displayName: a.displayName.trim() };
}

export interface Refusal {
  /** Sentences beside the fields they are about. */
  fields: FieldErrors;
  /** One sentence for the whole form (what went wrong, or which fields to fix). */
  general: string;
}

/**
 * A refusal of the API on one of these forms, field by field. `scope` is where the form's fields
 * sit in the application's paths: '' for the application, 'owner.' for a cashier's account (its
 * fields are the owner's), 'stores.0.' for a new store. Keys come back without the scope.
 */
export function refusalOf(e: unknown, scope = ''): Refusal {
  const fields: FieldErrors = {};
  const unscope = (f: string) => (scope && f.startsWith(scope) ? f.slice(scope.length) : f);
  if (!(e instanceof ApiError)) return { fields, general: (e as Error).message };
  const details = e.details as unknown;
  switch (e.code) {
    case 'VALIDATION_FAILED': {
      const problems = Array.isArray(details) ? (details as { field?: string }[]) : [];
      for (const p of problems) {
        if (!p.field || p.field.startsWith('(')) continue;
        const path = scope + p.field;
        const rule = ruleFor(path) ?? ruleFor(p.field);
        fields[unscope(path)] = rule?.message ?? `${fieldLabel(path)}填写不正确`;
      }
      break;
    }
    case 'AUTH_USERNAME_TAKEN':
      fields[unscope('owner.username')] = '该用户名已被占用，请换一个';
      break;
    case 'BATCH_REFERENCE_UNKNOWN': {
      // The details name the unknown codes, not the field: the application's own district field
      // (or the new store's) is where the operator's list went out of date.
      const d = (details ?? {}) as { category?: string; districts?: string[] };
      if (d.category) fields.category = '该行业不在可选范围内，请重新选择';
      if (d.districts?.length) fields.district = '该区域不在可选范围内，请重新选择';
      break;
    }
    case 'STORE_NOT_FOUND':
      fields.storeId = '所选门店不是本商户的门店，请刷新后重新选择';
      break;
  }
  const named = Object.keys(fields);
  if (named.length) {
    // The application numbers its stores; a form about one store or one cashier does not need to.
    const labels = named.map((f) =>
      scope ? ((ruleFor(scope + f) ?? ruleFor(f))?.label ?? f) : fieldLabel(f),
    );
    return { fields, general: `请修改标红的内容：${labels.join('、')}` };
  }
  return { fields, general: contextual(e) };
}

/** Codes whose general sentence reads better on these owner forms than the till's wording. */
function contextual(e: ApiError): string {
  if (e.code === 'MERCHANT_NOT_APPROVED')
    return '商户审核通过后才能添加收银员；已驳回或已暂停的商户不能添加门店和收银员';
  if (e.code === 'RATE_LIMITED') return '提交太频繁，请 1 分钟后再试';
  return e.message;
}
