import { Browser, BrowserContext, Page } from 'playwright-core';
import { Role } from '@jinli/contracts';
import { MerchantService } from '@jinli/issuing';
import { StaffAuthService } from '@jinli/platform';
import { DAY, Factories, TestApi } from '@jinli/testing';
import { launchChromium, screenshot, watchErrors } from './support/browser';
import { startStack, Stack } from './support/stack';

/**
 * Merchant enrolment end to end in Debian's Chromium: a merchant applies on the merchant page, an
 * operator approves it in the console, the owner adds a store and a cashier, the cashier signs in at
 * the till. Then the console's edits: a campaign, and a batch edit refused once vouchers are claimed
 * (money rules locked) or when someone else saved first (stale version).
 */
const PASSWORD = 'Browser-test-2020';
const run = `${process.pid % 10000}${Date.now() % 100000}`;
const names = {
  merchant: `入驻测试面馆${run}`,
  store1: `入驻测试面馆${run}（观前店）`,
  store2: `入驻测试面馆${run}（石路店）`,
  store3: `入驻测试面馆${run}（园区店）`,
};
const users = {
  operator: `enrol-op${run}`,
  owner: `enrol-owner${run}`,
  cashier: `enrol-cashier${run}`,
};

/** A datetime-local value in Suzhou time (what the console's inputs mean), to the minute. */
function suzhouMinute(ms: number): string {
  return new Date(ms + 8 * 3600_000).toISOString().slice(0, 16);
}

describe('merchant enrolment, owner screens and console edits in a real browser', () => {
  let stack: Stack;
  let browser: Browser;
  let f: Factories;
  const errors: string[] = [];
  const contexts: BrowserContext[] = [];
  let merchantId = 0;

  async function newPage(viewport: { width: number; height: number }, mobile = false): Promise<Page> {
    const context = await browser.newContext({
      viewport,
      isMobile: mobile,
      hasTouch: mobile,
      deviceScaleFactor: mobile ? 2 : 1,
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
    });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    watchErrors(page, errors);
    page.on('request', (r) => {
      if (!/^(data|blob):/.test(r.url()) && !r.url().startsWith(stack.baseUrl))
        errors.push(`external request ${r.url()}`);
    });
    return page;
  }

  async function staffSignIn(page: Page, path: string, username: string, password = PASSWORD) {
    await page.goto(`${stack.baseUrl}${path}`);
    await page.locator('[data-test=username] input').fill(username);
    await page.locator('[data-test=password] input').fill(password);
    await page.locator('[data-test=sign-in]').click();
  }

  beforeAll(async () => {
    browser = await launchChromium();
    stack = await startStack();
    await stack.app.get(StaffAuthService).create({
      username: users.operator,
      password: PASSWORD,
      role: Role.Operator,
      displayName: '入驻测试运营',
    });
    // Factories build through the real services; they only need what TestApi offers.
    f = await new Factories({
      get: (t: never) => stack.app.get(t),
      clock: stack.clock,
      dataSource: stack.dataSource,
    } as unknown as TestApi).init();
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await stack?.close();
  });

  afterEach(() => {
    const seen = errors.splice(0);
    expect(seen).toEqual([]);
  });

  it('a merchant applies on the merchant page: refusals beside the fields, then the application goes in', async () => {
    const page = await newPage({ width: 375, height: 667 }, true);
    await page.goto(`${stack.baseUrl}/merchant/`);
    await page.locator('[data-test=go-apply]').click();
    await page.waitForURL(/\/merchant\/apply$/);

    // Nothing filled in: every required field says what it needs, nothing is sent.
    await page.locator('[data-test=apply-submit]').click();
    await expect(page.locator('[data-test=apply-error]').textContent()).resolves.toMatch(
      /还有 \d+ 项需要修改/,
    );
    const form = page.locator('[data-test=apply-form]');
    for (const text of [
      '请填写商户名称（2-100 个字）',
      '请选择行业',
      '请填写 11 位手机号码',
      '银行账号为 8-30 位数字',
    ])
      await form.locator('.van-field__error-message', { hasText: text }).first().waitFor();
    await screenshot(page, 'merchant-apply-errors');

    await page.locator('[data-test=apply-name] input').fill(names.merchant);
    await page.locator('[data-test=apply-category]').selectOption('catering');
    await page.locator('[data-test=apply-district]').selectOption('gusu');
    await page.locator('[data-test=apply-contact-name] input').fill('陆经理');
    await page.locator('[data-test=apply-contact-phone] input').fill('13812345678');
    await page.locator('[data-test=apply-bank-account-name] input').fill('苏州入驻测试面馆有限公司');
    await page.locator('[data-test=apply-bank-name] input').fill('苏州银行观前支行');
    await page.locator('[data-test=apply-bank-account-no] input').fill('6222 0212 3456 7890 12');
    const store0 = page.locator('[data-test=apply-store-0]');
    await store0.locator('[data-test=store-name] input').fill(names.store1);
    // The store took the merchant's district by itself.
    await expect(store0.locator('[data-test=store-district]').inputValue()).resolves.toBe('gusu');
    await store0.locator('[data-test=store-address] input').fill('观前街 88 号');
    await page.locator('[data-test=apply-add-store]').click();
    const store1 = page.locator('[data-test=apply-store-1]');
    await store1.locator('[data-test=store-name] input').fill(names.store2);
    await store1.locator('[data-test=store-district]').selectOption('snd');
    // A username someone else has: the API refuses, and the page says so at the field.
    await page.locator('[data-test=apply-username] input').fill(users.operator);
    await page.locator('[data-test=apply-password] input').fill('Noodle-shop-2020');
    await page.locator('[data-test=apply-password-confirm] input').fill('Noodle-shop-2020');
    await page.locator('[data-test=apply-submit]').click();
    await page.locator('[data-test=apply-username]', { hasText: '该用户名已被占用，请换一个' }).waitFor();
    await expect(page.locator('[data-test=apply-error]').textContent()).resolves.toContain(
      '请修改标红的内容：用户名',
    );
    const none = (await stack.dataSource.query(`SELECT count(*)::int AS n FROM merchant WHERE name = $1`, [
      names.merchant,
    ])) as { n: number }[];
    expect(none[0].n).toBe(0);

    await page.locator('[data-test=apply-username] input').fill(users.owner);
    await screenshot(page, 'merchant-apply');
    await page.locator('[data-test=apply-submit]').click();
    await page.locator('[data-test=apply-done]').waitFor();
    await expect(page.locator('[data-test=apply-done-username]').textContent()).resolves.toBe(users.owner);
    await screenshot(page, 'merchant-apply-done');

    const [m] = (await stack.dataSource.query(
      `SELECT id, status, bank_account_no, contact_phone FROM merchant WHERE name = $1`,
      [names.merchant],
    )) as { id: number; status: string; bank_account_no: string; contact_phone: string }[];
    // The account number as digits (typed in groups of four), the phone as given.
    expect(m).toMatchObject({
      status: 'pending',
      bank_account_no: '622202123456789012',
      contact_phone: '13812345678',
    });
    merchantId = m.id;
    const stores = (await stack.dataSource.query(
      `SELECT name, district, address FROM store WHERE merchant_id = $1 ORDER BY id`,
      [merchantId],
    )) as { name: string; district: string; address: string }[];
    expect(stores).toEqual([
      { name: names.store1, district: 'gusu', address: '观前街 88 号' },
      { name: names.store2, district: 'snd', address: '' },
    ]);

    // Straight to the review's status, signed in as the new owner.
    await page.locator('[data-test=apply-see-status]').click();
    await page.waitForURL(/\/merchant\/status$/);
    await page.locator('[data-test=application-status][data-status=pending]').waitFor();
    await expect(page.locator('[data-test=application-status-title]').textContent()).resolves.toBe('审核中');
    await expect(page.locator('[data-test=application-stores]').textContent()).resolves.toContain(
      names.store2,
    );
    // Under review, the owner's other pages wait: the tab bar offers the status and 我的 only.
    await expect(page.locator('[data-test=tab-owner]').count()).resolves.toBe(0);
    await page.goto(`${stack.baseUrl}/merchant/staff`);
    await page.waitForURL(/\/merchant\/status$/);
    await page.locator('[data-test=application-status][data-status=pending]').waitFor();
    await screenshot(page, 'merchant-application-pending');
  });

  it('the operator approves the application in the console', async () => {
    const page = await newPage({ width: 1366, height: 900 });
    await staffSignIn(page, '/console/', users.operator);
    await page.waitForURL(/\/console\/campaigns$/);
    await page.locator('[data-test=nav-merchants]').click();
    await page.locator('select').nth(0).selectOption('gusu');
    await page.locator('select').nth(1).selectOption('catering');
    const row = page.locator(`[data-test=merchant-${merchantId}]`);
    await expect(row.textContent()).resolves.toContain(names.store2);
    await page.locator(`[data-test=approve-${merchantId}]`).click();
    await page.locator('.van-dialog__confirm').click();
    await row.waitFor({ state: 'detached' });
    const [m] = (await stack.dataSource.query(`SELECT status FROM merchant WHERE id = $1`, [merchantId])) as {
      status: string;
    }[];
    expect(m.status).toBe('approved');
  });

  it('the owner signs in, sees the approval, adds a store and a cashier', async () => {
    const page = await newPage({ width: 375, height: 667 }, true);
    await staffSignIn(page, '/merchant/', users.owner, 'Noodle-shop-2020');
    await page.waitForURL(/\/merchant\/owner$/);
    await page.locator('[data-test=tab-me]').click();
    await page.locator('[data-test=me-status]').click();
    await page.locator('[data-test=application-status][data-status=approved]').waitFor();
    await screenshot(page, 'merchant-application-approved');

    await page.locator('[data-test=tab-staff]').click();
    await page.waitForURL(/\/merchant\/staff$/);
    await page.locator(`[data-test=staff-${users.owner}]`).waitFor();

    // A third store.
    await page.locator('[data-test=add-store]').click();
    await page.locator('[data-test=new-store-save]').click();
    await page.locator('[data-test=store-form]', { hasText: '请填写门店名称' }).waitFor();
    await page.locator('[data-test=new-store-name] input').fill(names.store3);
    await page.locator('[data-test=new-store-district]').selectOption('sip');
    await page.locator('[data-test=new-store-save]').click();
    await page.locator('.van-notify', { hasText: `已添加门店「${names.store3}」` }).waitFor();
    await page.locator('[data-test=stores]', { hasText: names.store3 }).waitFor();

    // A cashier for the Shilu store: a weak password and a taken username are refused at the fields.
    const [shilu] = (await stack.dataSource.query(`SELECT id FROM store WHERE name = $1`, [
      names.store2,
    ])) as {
      id: number;
    }[];
    await page.locator(`[data-test=add-cashier-${shilu.id}]`).click();
    await expect(page.locator('[data-test=cashier-store]').inputValue()).resolves.toBe(String(shilu.id));
    await page.locator('[data-test=cashier-name] input').fill('小周');
    await page.locator('[data-test=cashier-username] input').fill(users.owner);
    await page.locator('[data-test=cashier-password] input').fill('short');
    await page.locator('[data-test=cashier-save]').click();
    await page
      .locator('[data-test=cashier-password]', { hasText: '密码至少 10 位，须同时包含字母和数字' })
      .waitFor();
    await page.locator('[data-test=cashier-password] input').fill('Cashier-2020-x');
    await page.locator('[data-test=cashier-password-confirm] input').fill('Cashier-2020-x');
    await page.locator('[data-test=cashier-save]').click();
    await page.locator('[data-test=cashier-username]', { hasText: '该用户名已被占用，请换一个' }).waitFor();
    await screenshot(page, 'merchant-add-cashier');
    await page.locator('[data-test=cashier-username] input').fill(users.cashier);
    await page.locator('[data-test=cashier-save]').click();
    await page.locator('[data-test=cashier-added]').waitFor();
    await page.locator('[data-test=cashier-form]').waitFor({ state: 'hidden' });
    await expect(page.locator('[data-test=cashier-added-username]').textContent()).resolves.toBe(
      users.cashier,
    );
    const cashierRow = page.locator(`[data-test=staff-${users.cashier}]`);
    await expect(cashierRow.textContent()).resolves.toContain(names.store2);
    await expect(cashierRow.textContent()).resolves.toContain('收银员');
    await screenshot(page, 'merchant-staff');

    const [cashier] = (await stack.dataSource.query(
      `SELECT role, merchant_id, store_id FROM staff_account WHERE username = $1`,
      [users.cashier],
    )) as { role: string; merchant_id: number; store_id: number }[];
    expect(cashier).toEqual({ role: 'cashier', merchant_id: merchantId, store_id: shilu.id });
  });

  it('the new cashier signs in at the till of that store', async () => {
    const page = await newPage({ width: 768, height: 1024 }, true);
    await staffSignIn(page, '/merchant/', users.cashier, 'Cashier-2020-x');
    await page.waitForURL(/\/merchant\/till$/);
    await page.locator('.banner', { hasText: names.store2 }).waitFor();
    await expect(page.locator('.banner').textContent()).resolves.toContain('小周');
    // A barcode gun ends with Enter: the till previews, and names a code that is not a voucher's.
    await page.locator('[data-test=till-amount] input').fill('50');
    await page.locator('[data-test=till-code] input').fill('1234');
    await page.locator('[data-test=till-code] input').press('Enter');
    await page.locator('[data-test=till-error]', { hasText: '券码不正确' }).waitFor();
    await screenshot(page, 'till-new-cashier');
  });

  it('an owner whose application was rejected reads the reason; a suspended one is told at the top of each page', async () => {
    const svc = stack.app.get(MerchantService);
    const rejected = await f.merchant({ approve: false });
    await svc.reject(f.operator, rejected.merchant.id, '营业执照照片不清晰，请重新拍摄后提交');
    const page = await newPage({ width: 375, height: 667 }, true);
    await staffSignIn(page, '/merchant/', rejected.logins.owner.username, rejected.logins.owner.password);
    await page.waitForURL(/\/merchant\/status$/);
    await page.locator('[data-test=application-status][data-status=rejected]').waitFor();
    await expect(page.locator('[data-test=application-reason]').textContent()).resolves.toContain(
      '驳回原因：营业执照照片不清晰，请重新拍摄后提交',
    );
    await screenshot(page, 'merchant-application-rejected');
    await page.locator('[data-test=tab-me]').click();
    await page.locator('[data-test=sign-out]').click();

    const suspended = await f.merchant();
    await svc.suspend(f.operator, suspended.merchant.id, '涉嫌虚假交易，暂停核销待核查');
    await staffSignIn(page, '/merchant/', suspended.logins.owner.username, suspended.logins.owner.password);
    await page.waitForURL(/\/merchant\/owner$/);
    await expect(page.locator('[data-test=suspended-notice]').textContent()).resolves.toContain(
      '商户已被暂停：涉嫌虚假交易，暂停核销待核查',
    );
    await page.locator('[data-test=tab-staff]').click();
    await expect(page.locator('[data-test=add-cashier]').isDisabled()).resolves.toBe(true);
    await screenshot(page, 'merchant-suspended');
  });

  it('console: the operator edits a campaign; a batch edit is refused once vouchers are claimed, and when someone else saved first', async () => {
    const campaign = await f.campaign();
    const batch = await f.batch({ campaignId: campaign.id, name: `编辑测试券${run}` });
    const page = await newPage({ width: 1366, height: 900 });
    await staffSignIn(page, '/console/', users.operator);
    await page.waitForURL(/\/console\/campaigns$/);
    await page.goto(`${stack.baseUrl}/console/campaigns/${campaign.id}`);

    // The campaign: a new name and a later end; only those are sent.
    await page.locator('[data-test=campaign-edit]').click();
    await page.locator('[data-test=campaign-name]').fill(`编辑后的活动${run}`);
    const newEnd = suzhouMinute(Date.now() + 40 * DAY);
    await page.locator('[data-test=campaign-ends]').fill(newEnd);
    // The dialog has faded in (for a readable screenshot).
    await page.locator('.van-popup.van-fade-enter-active').waitFor({ state: 'detached' });
    await screenshot(page, 'console-campaign-edit');
    await page.locator('[data-test=campaign-save]').click();
    await page.locator('[data-test=campaign-title]', { hasText: `编辑后的活动${run}` }).waitFor();
    const [c] = (await stack.dataSource.query(
      `SELECT name, ends_at, budget_fen, version FROM campaign WHERE id = $1`,
      [campaign.id],
    )) as { name: string; ends_at: Date; budget_fen: number; version: number }[];
    expect(c.name).toBe(`编辑后的活动${run}`);
    expect(c.ends_at.toISOString()).toBe(new Date(`${newEnd}:00+08:00`).toISOString());
    expect(c.budget_fen).toBe(campaign.budgetFen);
    expect(c.version).toBe(campaign.version + 1);

    // The batch form opens while nothing is claimed: the money rules are still editable...
    await page.locator(`[data-test=batch-edit-${batch.id}]`).click();
    await expect(page.locator('[data-test=batch-face]').isDisabled()).resolves.toBe(false);
    // ...then a citizen claims one before the operator saves.
    const citizen = await f.citizen();
    const claim = await fetch(`${stack.baseUrl}/api/v1/claiming/batches/${batch.id}/claim`, {
      method: 'POST',
      headers: { authorization: `Bearer ${citizen.token}` },
    });
    expect(claim.status).toBe(201);
    await page.locator('[data-test=batch-face]').fill('25');
    await page.locator('[data-test=batch-name]').fill(`编辑测试券${run}（加量）`);
    await page.locator('[data-test=batch-quota]').fill('1500');
    await page.locator('[data-test=batch-save]').click();
    const refusal = page.locator('[data-test=batch-error][data-code=BATCH_MONEY_RULES_LOCKED]');
    await refusal.waitFor();
    await expect(refusal.textContent()).resolves.toContain(
      '已有 1 张券被市民领取，面额不能再修改（决定补贴金额的规则在领券后锁定）',
    );
    // The face value is back as saved and locked; the other edits are kept.
    await page.locator('[data-test=batch-locked-note]').waitFor();
    await expect(page.locator('[data-test=batch-face]').inputValue()).resolves.toBe('30');
    await expect(page.locator('[data-test=batch-face]').isDisabled()).resolves.toBe(true);
    await expect(page.locator('[data-test=batch-quota]').inputValue()).resolves.toBe('1500');
    await screenshot(page, 'console-batch-edit-locked');
    const [unchanged] = (await stack.dataSource.query(
      `SELECT face_value_fen, quota, name FROM voucher_batch WHERE id = $1`,
      [batch.id],
    )) as { face_value_fen: number; quota: number; name: string }[];
    expect(unchanged).toEqual({ face_value_fen: 3000, quota: 1000, name: batch.name });

    // Saved without the locked rule: the name and the quota change.
    await page.locator('[data-test=batch-save]').click();
    await page.locator(`[data-test=batch-${batch.id}]`, { hasText: `编辑测试券${run}（加量）` }).waitFor();
    const [edited] = (await stack.dataSource.query(
      `SELECT face_value_fen, quota, version FROM voucher_batch WHERE id = $1`,
      [batch.id],
    )) as { face_value_fen: number; quota: number; version: number }[];
    expect(edited.face_value_fen).toBe(3000);
    expect(edited.quota).toBe(1500);

    // Someone else saves while this form is open: the save is refused as stale, nothing is lost silently.
    await page.locator(`[data-test=batch-edit-${batch.id}]`).click();
    const other = await fetch(`${stack.baseUrl}/api/v1/batches/${batch.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${f.operatorToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ description: '另一位运营刚改过', version: edited.version }),
    });
    expect(other.status).toBe(200);
    await page.locator('[data-test=batch-quota]').fill('1800');
    await page.locator('[data-test=batch-save]').click();
    const stale = page.locator('[data-test=batch-error][data-code=STALE_VERSION]');
    await stale.waitFor();
    await expect(stale.textContent()).resolves.toContain('在您编辑期间，内容已被他人修改');
    await screenshot(page, 'console-batch-edit-stale');
    await page.locator('[data-test=batch-reload]').click();
    // Reloaded: the refusal goes, the other operator's change is in the form.
    await stale.waitFor({ state: 'detached' });
    await expect(page.locator('[data-test=batch-description]').inputValue()).resolves.toBe(
      '另一位运营刚改过',
    );
    await page.locator('[data-test=batch-quota]').fill('1800');
    await page.locator('[data-test=batch-save]').click();
    // Saved and reloaded: the batch's card reads the new quota.
    await page.locator(`[data-test=batch-${batch.id}]`, { hasText: '1,800 / 1 张' }).waitFor();
    const [last] = (await stack.dataSource.query(
      `SELECT quota, description FROM voucher_batch WHERE id = $1`,
      [batch.id],
    )) as { quota: number; description: string }[];
    expect(last).toEqual({ quota: 1800, description: '另一位运营刚改过' });
  });
});
