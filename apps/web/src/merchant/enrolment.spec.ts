import { ApiError } from '../shared/api';
import {
  applicationBody,
  fieldLabel,
  refusalOf,
  validateApplication,
  validateCashier,
  validateNewStore,
  type ApplicationForm,
} from './enrolment';

const good = (): ApplicationForm => ({
  name: ' 松鹤楼 ',
  category: 'catering',
  district: 'gusu',
  contactName: '王经理',
  contactPhone: '13912345678',
  bankAccountName: '苏州松鹤楼餐饮有限公司',
  bankName: '中国银行苏州分行',
  bankAccountNo: '6217 8561 0001 2345 678',
  stores: [{ name: '观前街店', district: 'gusu', address: '' }],
  owner: {
    displayName: '王店长',
    username: 'songhelou',
    password: 'Owner-pass-2020',
    passwordConfirm: 'Owner-pass-2020',
  },
});

describe('merchant enrolment: what the page checks and what it sends', () => {
  it('lets a complete application go, trimmed, with the bank account number as digits', () => {
    expect(validateApplication(good())).toEqual({});
    const body = applicationBody(good());
    expect(body.name).toBe('松鹤楼');
    expect(body.bankAccountNo).toBe('6217856100012345678');
    expect(body.stores).toEqual([{ name: '观前街店', district: 'gusu' }]);
    expect(body.owner).toEqual({ username: 'songhelou', password: 'Owner-pass-2020', displayName: '王店长' });
  });

  it('says what is wrong with each field, in the words of the server’s rules', () => {
    const f = good();
    f.name = '松';
    f.category = '';
    f.contactPhone = '12345';
    f.bankAccountNo = '1234-567';
    f.stores.push({ name: ' ', district: '', address: '' });
    f.owner.username = '王';
    f.owner.password = 'onlyletters';
    expect(validateApplication(f)).toEqual({
      name: '请填写商户名称（2-100 个字）',
      category: '请选择行业',
      contactPhone: '请填写 11 位手机号码',
      bankAccountNo: '银行账号为 8-30 位数字',
      'stores.1.name': '请填写门店名称（最多 100 个字）',
      'stores.1.district': '请选择门店所在区域',
      'owner.username': '用户名为 3-64 位字母、数字或 _ . -',
      'owner.password': '密码至少 10 位，须同时包含字母和数字',
    });
    expect(fieldLabel('stores.1.name')).toBe('门店 2 名称');
  });

  it('asks for at least one store and the same password twice', () => {
    const f = good();
    f.stores = [];
    f.owner.passwordConfirm = 'Owner-pass-2021';
    expect(validateApplication(f)).toEqual({
      stores: '请至少填写一个门店',
      'owner.passwordConfirm': '两次输入的密码不一致',
    });
  });

  it('checks a new cashier and a new store with the same rules', () => {
    expect(
      validateCashier(0, { displayName: '', username: 'ab', password: 'short1', passwordConfirm: '' }),
    ).toEqual({
      storeId: '请选择收银员所属的门店',
      displayName: '请填写姓名（最多 50 个字）',
      username: '用户名为 3-64 位字母、数字或 _ . -',
      password: '密码至少 10 位，须同时包含字母和数字',
    });
    expect(validateNewStore({ name: '', district: 'gusu', address: 'x'.repeat(201) })).toEqual({
      name: '请填写门店名称（最多 100 个字）',
      address: '地址最多 200 个字',
    });
  });
});

describe('the API’s refusals beside the fields they are about', () => {
  const validation = (fields: string[]) =>
    new ApiError(
      400,
      'VALIDATION_FAILED',
      'Invalid request',
      fields.map((field) => ({ field, problems: ['(english)'] })),
    );

  it('maps VALIDATION_FAILED details (nested paths included) to sentences and a summary', () => {
    const r = refusalOf(validation(['contactPhone', 'stores.0.district', 'owner.password']));
    expect(r.fields).toEqual({
      contactPhone: '请填写 11 位手机号码',
      'stores.0.district': '请选择门店所在区域',
      'owner.password': '密码至少 10 位，须同时包含字母和数字',
    });
    expect(r.general).toBe('请修改标红的内容：联系电话、门店 1 区域、密码');
  });

  it('puts a taken username on the username field, on the application and on a cashier', () => {
    const taken = new ApiError(409, 'AUTH_USERNAME_TAKEN', 'The username x is taken');
    expect(refusalOf(taken).fields).toEqual({ 'owner.username': '该用户名已被占用，请换一个' });
    const cashier = refusalOf(taken, 'owner.');
    expect(cashier.fields).toEqual({ username: '该用户名已被占用，请换一个' });
    expect(cashier.general).toBe('请修改标红的内容：用户名');
  });

  it('reads a cashier’s and a store’s validation details in their own scope', () => {
    expect(refusalOf(validation(['storeId', 'password']), 'owner.').fields).toEqual({
      storeId: '请选择收银员所属的门店',
      password: '密码至少 10 位，须同时包含字母和数字',
    });
    const store = refusalOf(validation(['name']), 'stores.0.');
    expect(store.fields).toEqual({ name: '请填写门店名称（最多 100 个字）' });
    expect(store.general).toBe('请修改标红的内容：门店名称');
  });

  it('names unknown reference codes, a foreign store, and says why an unapproved merchant cannot add staff', () => {
    const unknown = new ApiError(422, 'BATCH_REFERENCE_UNKNOWN', 'Unknown', {
      category: 'x',
      districts: ['y'],
    });
    expect(refusalOf(unknown).fields).toEqual({
      category: '该行业不在可选范围内，请重新选择',
      district: '该区域不在可选范围内，请重新选择',
    });
    expect(refusalOf(new ApiError(404, 'STORE_NOT_FOUND', ''), 'owner.').fields).toEqual({
      storeId: '所选门店不是本商户的门店，请刷新后重新选择',
    });
    const notApproved = refusalOf(new ApiError(422, 'MERCHANT_NOT_APPROVED', ''), 'owner.');
    expect(notApproved.fields).toEqual({});
    expect(notApproved.general).toContain('审核通过后才能添加收银员');
    expect(refusalOf(new ApiError(0, 'NETWORK', 'x')).general).toBe('网络连接失败，请检查网络后重试');
  });
});
