import { readFileSync } from 'node:fs';
import { Browser, BrowserContext, Page } from 'playwright-core';
import { Role } from '@jinli/contracts';
import { MerchantService } from '@jinli/issuing';
import { StaffAuthService } from '@jinli/platform';
import { luhnDigit } from '@jinli/redemption';
import { DAY, Factories, HOUR, TestApi } from '@jinli/testing';
import { launchChromium, screenshot, watchErrors } from './support/browser';
import { startStack, Stack } from './support/stack';

/**
 * One journey through the three pages in Debian's Chromium, against the real API and worker:
 * operator sets up a batch whose round opens seconds later; a citizen on a phone claims when it
 * opens and shows the code; a cashier redeems it; finance settles and exports; the report shows it.
 */
const PASSWORD = 'Browser-test-2020';
const run = `${process.pid % 10000}${Date.now() % 100000}`;
const names = {
  funder: `浏览器测试财政${run}`,
  campaign: `浏览器测试活动${run}`,
  batch: `满100减30测试${run}`,
  merchant: `测试老字号${run}`,
};

/** A mainland ID number from its first 17 digits (GB 11643 check character). */
function idNumberFor(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((acc, d, i) => acc + Number(d) * weights[i], 0);
  return first17 + '10X98765432'[sum % 11];
}

/** A datetime-local value in Suzhou time (what the console's inputs mean). */
function suzhouInput(ms: number): string {
  return new Date(ms + 8 * 3600_000).toISOString().slice(0, 19);
}

describe('the citizen H5, the merchant till and the console in a real browser', () => {
  let stack: Stack;
  let browser: Browser;
  const errors: string[] = [];
  const contexts: BrowserContext[] = [];
  const users = {
    operator: `op${run}`,
    finance: `fin${run}`,
    finance2: `fin2${run}`,
    auditor: `aud${run}`,
    owner: `owner${run}`,
    cashier: `cashier${run}`,
  };
  let merchantId = 0;
  let storeId = 0;
  let batchId = 0;
  let roundOpensAt = 0;
  let voucherDigits = '';
  const phone = `139${String(run).padStart(8, '0').slice(-8)}`;

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
    // The pages talk to their own server only (no CDN, no analytics): anything else is a failure.
    page.on('request', (r) => {
      if (!/^(data|blob):/.test(r.url()) && !r.url().startsWith(stack.baseUrl))
        errors.push(`external request ${r.url()}`);
    });
    return page;
  }

  async function staffSignIn(page: Page, path: string, username: string) {
    await page.goto(`${stack.baseUrl}${path}`);
    await page.locator('[data-test=username] input').fill(username);
    await page.locator('[data-test=password] input').fill(PASSWORD);
    await page.locator('[data-test=sign-in]').click();
  }

  beforeAll(async () => {
    browser = await launchChromium();
    stack = await startStack();
    const staff = stack.app.get(StaffAuthService);
    for (const [key, role] of [
      ['operator', Role.Operator],
      ['finance', Role.Finance],
      ['finance2', Role.Finance],
      ['auditor', Role.Auditor],
    ] as const) {
      await staff.create({ username: users[key], password: PASSWORD, role, displayName: `${key} 测试` });
    }
    // A merchant that has applied and waits for the operator's review.
    const { merchant } = await stack.app.get(MerchantService).apply({
      name: names.merchant,
      category: 'heritage',
      district: 'taicang',
      contactName: '测试店长',
      contactPhone: '13912345678',
      bankAccountName: '太仓测试老字号有限公司',
      bankName: '苏州银行',
      bankAccountNo: '6222021234567890123',
      stores: [{ name: `${names.merchant}（南门店）`, district: 'taicang' }],
      owner: { username: users.owner, password: PASSWORD, displayName: '测试店长' },
    });
    merchantId = merchant.id;
    storeId = merchant.stores[0].id;
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await stack?.close();
  });

  afterEach(() => {
    // Any uncaught exception in a page fails the step that caused it.
    const seen = errors.splice(0);
    expect(seen).toEqual([]);
  });

  it('console: the operator creates and publishes a funder, a campaign and a batch, and approves a merchant', async () => {
    const page = await newPage({ width: 1366, height: 900 });
    await staffSignIn(page, '/console/', users.operator);
    await page.waitForURL(/\/console\/campaigns$/);

    // Funder: create (draft), then publish.
    await page.locator('[data-test=nav-funders]').click();
    await page.locator('[data-test=new-funder]').click();
    await page.locator('[data-test=funder-name]').fill(names.funder);
    await page.locator('[data-test=funder-budget]').fill('1000000');
    await page.locator('[data-test=funder-save]').click();
    const funderRow = page.locator('[data-test=funders] tr', { hasText: names.funder });
    await funderRow.getByRole('button', { name: '发布' }).click();
    await funderRow.getByText('已发布').waitFor();
    await screenshot(page, 'console-funders');

    // Campaign funded 100% by it.
    await page.locator('[data-test=nav-campaigns]').click();
    await page.locator('[data-test=new-campaign]').click();
    await page.locator('[data-test=campaign-name]').fill(names.campaign);
    await page.locator('[data-test=campaign-budget]').fill('500000');
    await page.locator('[data-test=share-funder-0]').selectOption({ label: names.funder });
    await page.locator('[data-test=share-percent-0]').fill('100');
    await page.locator('[data-test=campaign-save]').click();
    await page.getByRole('link', { name: names.campaign }).click();
    await page.locator('[data-test=campaign-publish]').click();
    await page.locator('[data-test=campaign-status]', { hasText: '已发布' }).waitFor();

    // Batch: 满100减30, one round opening a few seconds from now.
    roundOpensAt = Math.ceil((Date.now() + 30_000) / 1000) * 1000;
    await page.locator('[data-test=new-batch]').click();
    await page.locator('[data-test=batch-name]').fill(names.batch);
    await page.locator('[data-test=batch-threshold]').fill('100');
    await page.locator('[data-test=batch-face]').fill('30');
    await page.locator('[data-test=batch-quota]').fill('100');
    await page.locator('[data-test=round-opens-0]').fill(suzhouInput(roundOpensAt));
    await page.locator('[data-test=round-quota-0]').fill('100');
    await page.locator('[data-test=batch-save]').click();
    await page.locator('b', { hasText: names.batch }).waitFor();
    const [batch] = (await stack.dataSource.query(`SELECT id FROM voucher_batch WHERE name = $1`, [
      names.batch,
    ])) as {
      id: number;
    }[];
    batchId = batch.id;
    await page.locator(`[data-test=batch-publish-${batchId}]`).click();
    await page.locator(`[data-test=batch-status-${batchId}]`, { hasText: '已发布' }).waitFor();
    await screenshot(page, 'console-campaign');

    // The waiting merchant application: approve it.
    await page.locator('[data-test=nav-merchants]').click();
    await page.locator('select').nth(0).selectOption('taicang');
    await page.locator('select').nth(1).selectOption('heritage');
    await page.locator(`[data-test=approve-${merchantId}]`).click();
    await page.locator('.van-dialog__confirm').click();
    await page.locator(`[data-test=merchant-${merchantId}]`).waitFor({ state: 'detached' });
    await screenshot(page, 'console-merchants');
    const [m] = (await stack.dataSource.query(`SELECT status FROM merchant WHERE id = $1`, [merchantId])) as {
      status: string;
    }[];
    expect(m.status).toBe('approved');

    // The funder pays a live campaign: it cannot be paused, and the console says which campaign.
    await page.locator('[data-test=nav-funders]').click();
    await page
      .locator('[data-test=funders] tr', { hasText: names.funder })
      .getByRole('button', { name: '暂停' })
      .click();
    await page
      .locator('.van-notify', {
        hasText: `仍有未结束的活动使用该出资方（「${names.campaign}」），不能暂停或结束`,
      })
      .waitFor();
    await page.locator('[data-test=funders] tr', { hasText: names.funder }).getByText('已发布').waitFor();

    // The owner adds a cashier to the store (through the owner's page in enrolment.browser-spec.ts).
    const [owner] = (await stack.dataSource.query(`SELECT id FROM staff_account WHERE username = $1`, [
      users.owner,
    ])) as { id: number }[];
    await stack.app
      .get(MerchantService)
      .addCashier(
        { id: owner.id, role: Role.MerchantOwner, merchantId },
        { username: users.cashier, password: PASSWORD, displayName: '测试收银员', storeId },
      );
  });

  it('H5: not-yet-open, round sold out (with the next round time) and sold out render', async () => {
    // Factories build through the real services; they only need what TestApi offers.
    const f = await new Factories({
      get: (t: never) => stack.app.get(t),
      clock: stack.clock,
      dataSource: stack.dataSource,
    } as unknown as TestApi).init();
    const now = Date.now();
    const campaign = await f.campaign({ startsAt: new Date(now - DAY), endsAt: new Date(now + 10 * DAY) });
    const later = await f.batch({
      campaignId: campaign.id,
      name: `明日开抢${run}`,
      quota: 10,
      rounds: [{ opensAt: new Date(now + DAY), quota: 10 }],
    });
    const roundGone = await f.batch({
      campaignId: campaign.id,
      name: `本轮抢光${run}`,
      quota: 2,
      rounds: [
        { opensAt: new Date(now - HOUR), quota: 1 },
        { opensAt: new Date(now + 2 * DAY), quota: 1 },
      ],
      rollOverUnclaimed: false,
    });
    const allGone = await f.batch({
      campaignId: campaign.id,
      name: `全部抢光${run}`,
      quota: 1,
      rounds: [{ opensAt: new Date(now - HOUR), quota: 1 }],
    });
    const unsure = await f.batch({
      campaignId: campaign.id,
      name: `结果未知${run}`,
      quota: 5,
      rounds: [{ opensAt: new Date(now - HOUR), quota: 5 }],
    });
    // Another citizen takes the only voucher of each open round.
    const other = await f.citizen();
    for (const b of [roundGone, allGone]) {
      const res = await fetch(`${stack.baseUrl}/api/v1/claiming/batches/${b.id}/claim`, {
        method: 'POST',
        headers: { authorization: `Bearer ${other.token}` },
      });
      expect(res.status).toBe(201);
    }
    const me = await f.citizen();
    const page = await newPage({ width: 375, height: 667 }, true);
    await page.goto(`${stack.baseUrl}/h5/`);
    // Signed in as that citizen (the sign-in form itself is the journey's business).
    const saved = JSON.stringify({
      token: me.token,
      expiresAt: new Date(Date.now() + 3600_000).toISOString(),
      user: { id: me.id, phoneMasked: '139****0000', verified: false },
    });
    await page.evaluate(`localStorage.setItem('jinli.h5.session', ${JSON.stringify(saved)})`);
    await page.reload();
    const state = (id: number) => page.locator(`[data-test=offer-${id}]`);
    await state(later.id).waitFor();
    expect(await state(later.id).getAttribute('data-state')).toBe('not_open');
    await expect(state(later.id).textContent()).resolves.toMatch(/未开始/);
    expect(await state(roundGone.id).getAttribute('data-state')).toBe('round_sold_out');
    await expect(state(roundGone.id).locator('[data-test=next-round]').textContent()).resolves.toMatch(
      /下一场 \d{2}月\d{2}日 \d{2}:\d{2} 开抢/,
    );
    await expect(state(roundGone.id).textContent()).resolves.toContain('本轮已抢光');
    expect(await state(allGone.id).getAttribute('data-state')).toBe('sold_out');
    await expect(state(allGone.id).textContent()).resolves.toContain('已抢光');
    await state(allGone.id).scrollIntoViewIfNeeded();
    await screenshot(page, 'h5-states');

    // A tap on a sold-out batch is impossible: the button is disabled.
    expect(await page.locator(`[data-test=claim-${allGone.id}]`).isDisabled()).toBe(true);

    // The claim goes through but its answer is lost as the server's database connection broke
    // (503 UNAVAILABLE, outcome unknown): the page does not invite a retry; it looks at my vouchers
    // (the card turns 已领取) and says where to check.
    await page.route(`**/api/v1/claiming/batches/${unsure.id}/claim`, async (route) => {
      await route.fetch();
      await route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({
          code: 'UNAVAILABLE',
          message: 'We could not confirm whether the voucher was recorded',
          details: { outcome: 'unknown' },
        }),
      });
    });
    await page.locator(`[data-test=claim-${unsure.id}]`).click();
    const dialog = page.locator('.van-dialog', { hasText: '领取结果未知' });
    await dialog.waitFor();
    await expect(dialog.textContent()).resolves.toContain('网络异常，领取结果未知，请到「我的券」查看');
    await page.locator(`[data-test=offer-${unsure.id}][data-state=claimed]`).waitFor();
    const claims = (await stack.dataSource.query(
      `SELECT count(*)::int AS n FROM voucher WHERE batch_id = $1 AND citizen_id = $2`,
      [unsure.id, me.id],
    )) as { n: number }[];
    expect(claims[0].n).toBe(1);
    await page.locator('.van-dialog.van-dialog-bounce-enter-active').waitFor({ state: 'detached' });
    await screenshot(page, 'h5-claim-unknown');
    await dialog.locator('.van-dialog__confirm').click();
    await page.waitForURL(/\/h5\/vouchers$/);

    // Real-name verification binds an ID number to one account: another citizen holds this one.
    const idNumber = idNumberFor(`3205081990${String(run).slice(-7).padStart(7, '0')}`);
    const taken = await fetch(`${stack.baseUrl}/api/v1/auth/citizen/verification`, {
      method: 'POST',
      headers: { authorization: `Bearer ${other.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ idNumber }),
    });
    expect(taken.status).toBe(200);
    await page.goto(`${stack.baseUrl}/h5/me`);
    await page.locator('[data-test=id-number] input').fill(idNumber);
    await page.locator('[data-test=verify]').click();
    await expect(page.locator('[data-test=verify-error]').textContent()).resolves.toBe(
      '该身份证号已绑定其他手机号账号，一个身份证号只能认证一个账号',
    );
  });

  it('citizen on a 375x667 phone: signs in, waits for the round to open, claims, opens the voucher and reads its code', async () => {
    const page = await newPage({ width: 375, height: 667 }, true);
    await page.goto(`${stack.baseUrl}/h5/`);
    await page.locator('[data-test=go-sign-in]').click();
    await page.locator('[data-test=phone] input').fill(phone);
    await page.locator('[data-test=send-code]').click();
    // Development: the API returns the code and the page shows it.
    const devCode = (await page.locator('[data-test=dev-code]').textContent())!.trim();
    expect(devCode).toMatch(/^\d{6}$/);
    await page.locator('[data-test=code] input').fill(devCode);
    await page.locator('[data-test=sign-in]').click();
    await page.waitForURL(/\/h5\/$/);

    const offer = page.locator(`[data-test=offer-${batchId}]`);
    const button = page.locator(`[data-test=claim-${batchId}]`);
    await offer.waitFor();
    expect(roundOpensAt).toBeGreaterThan(Date.now());
    expect(await offer.getAttribute('data-state')).toBe('not_open');
    await expect(button.textContent()).resolves.toContain('未开始');
    await offer.locator('[data-test=countdown]').waitFor();
    await screenshot(page, 'h5-countdown');

    // No reload: the button flips by the server's clock at the opening second.
    await page
      .locator(`[data-test=offer-${batchId}][data-state=open]`)
      .waitFor({ timeout: roundOpensAt - Date.now() + 10_000 });
    await expect(button.textContent()).resolves.toContain('立即领取');
    await button.click();
    await page.locator('.van-dialog', { hasText: '领取成功' }).waitFor();
    await screenshot(page, 'h5-claimed');
    await page.locator('.van-dialog__confirm').click();
    await page.waitForURL(/\/h5\/vouchers\/\d+$/);
    await page.locator('.van-overlay').waitFor({ state: 'hidden' });
    await page.locator('[data-test=voucher-qr]').waitFor();
    voucherDigits = (await page.locator('[data-test=voucher-digits]').getAttribute('data-digits'))!;
    expect(voucherDigits).toMatch(/^\d{18}$/);
    await expect(page.locator('[data-test=where]').textContent()).resolves.toContain('可用门店');
    await screenshot(page, 'h5-voucher');

    // Back on the list the batch now reads 已领取.
    await page.goto(`${stack.baseUrl}/h5/`);
    await page.locator(`[data-test=offer-${batchId}][data-state=claimed]`).waitFor();
    await page.goto(`${stack.baseUrl}/h5/vouchers`);
    await page.locator('[data-test^=voucher-]').first().waitFor();
    await screenshot(page, 'h5-my-vouchers');
  });

  it('cashier in another browser context: the till names the failing rule below the threshold, then previews and redeems', async () => {
    const page = await newPage({ width: 768, height: 1024 }, true);
    await staffSignIn(page, '/merchant/', users.cashier);
    await page.waitForURL(/\/merchant\/till$/);
    await page.locator('[data-test=till-code] input').fill(voucherDigits);

    // ¥80 is below 满100: the preview says so, with what is missing.
    await page.locator('[data-test=till-amount] input').fill('80');
    await page.locator('[data-test=till-preview]').click();
    const failures = page.locator('[data-test=till-failures]');
    await failures.waitFor();
    await expect(failures.textContent()).resolves.toContain(
      '订单金额 ¥80.00 未达到使用门槛 满¥100.00，还差 ¥20.00',
    );
    await expect(page.locator('[data-test=till-confirm]').count()).resolves.toBe(0);
    await screenshot(page, 'till-below-threshold');

    // ¥128.50: discount ¥30.00, the customer pays ¥98.50.
    await page.locator('[data-test=till-amount] input').fill('128.50');
    await page.locator('[data-test=till-preview]').click();
    await expect(page.locator('[data-test=preview-discount]').textContent()).resolves.toContain('¥30.00');
    await expect(page.locator('[data-test=preview-payable]').textContent()).resolves.toContain('¥98.50');
    await screenshot(page, 'till-preview');
    await page.locator('[data-test=till-confirm]').click();
    await page.locator('[data-test=receipt]').waitFor();
    await expect(page.locator('[data-test=receipt-payable]').textContent()).resolves.toContain('¥98.50');
    await screenshot(page, 'till-receipt');

    const rows = (await stack.dataSource.query(
      `SELECT r.order_amount_fen, r.discount_fen, v.status FROM redemption r JOIN voucher v ON v.id = r.voucher_id
        WHERE r.merchant_id = $1`,
      [merchantId],
    )) as { order_amount_fen: number; discount_fen: number; status: string }[];
    expect(rows).toEqual([{ order_amount_fen: 12850, discount_fen: 3000, status: 'redeemed' }]);

    // Today's redemptions and totals at the store.
    await page.locator('[data-test=tab-today]').click();
    await expect(page.locator('[data-test=total-redemptions]').textContent()).resolves.toBe('1');
    await expect(page.locator('[data-test=total-net-order]').textContent()).resolves.toContain('¥128.50');

    // The customer brings back ¥20.00 of goods: the order stays above 满100, the redemption is kept.
    const [redemption] = (await stack.dataSource.query(`SELECT id FROM redemption WHERE merchant_id = $1`, [
      merchantId,
    ])) as { id: number }[];
    await page.locator(`[data-test=refund-${redemption.id}]`).click();
    await page.locator('[data-test=refund-amount] input').fill('20');
    await page.locator('[data-test=refund-confirm]').click();
    await page.locator('.van-notify', { hasText: '已退款 ¥20.00' }).waitFor();
    await expect(page.locator('.van-notify').textContent()).resolves.toContain('核销保留');
    // The day's totals reload after the refund.
    await page.locator('[data-test=total-net-order]', { hasText: '¥108.50' }).waitFor();
    await screenshot(page, 'till-today');

    // Made-up codes (the real one with its MAC altered): after REDEMPTION_FORGED_PER_CASHIER (10) of
    // them in a 10-minute window, the cashier's scans are refused, and the till says why and for how long.
    // The till says "about N minutes" while a minute or more of the block is left: with less than
    // three minutes of this window left, the clock moves to the start of the next one.
    const windowLeftMs = 600_000 - (stack.clock.nowMs() % 600_000);
    if (windowLeftMs < 180_000) stack.clock.shift(windowLeftMs + 1_000);
    const body = `${voucherDigits.slice(0, 11)}${(Number(voucherDigits[11]) + 1) % 10}${voucherDigits.slice(12, 17)}`;
    const forged = body + luhnDigit(body);
    const token = (await page.evaluate(
      `JSON.parse(localStorage.getItem('jinli.merchant.session')).token`,
    )) as string;
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${stack.baseUrl}/api/v1/redemptions/preview`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ code: forged, orderAmountFen: 12850, storeId }),
      });
      expect(((await res.json()) as { code: string }).code).toBe('VOUCHER_CODE_FORGED');
    }
    await page.locator('[data-test=tab-till]').click();
    await page.locator('[data-test=till-code] input').fill(forged);
    await page.locator('[data-test=till-amount] input').fill('128.50');
    await page.locator('[data-test=till-preview]').click();
    await expect(page.locator('[data-test=till-error]').textContent()).resolves.toMatch(
      /您的账号近期扫到的无效券码过多，扫码已暂停，约 \d+ 分钟后恢复/,
    );
    await screenshot(page, 'till-forged-blocked');
  });

  it('finance: one reviewer starts settlement, a second approves, the payout file is exported', async () => {
    const redeemedDay = suzhouInput(Date.now()).slice(0, 10);
    // T+1: move the servers to the next day so the redemption's business day has ended.
    stack.clock.shift(DAY);
    const page = await newPage({ width: 1366, height: 900 });
    await staffSignIn(page, '/console/', users.finance);
    await page.waitForURL(/\/console\/settlement$/);
    await page.locator('[data-test=run-from]').fill(redeemedDay);
    await page.locator('[data-test=run-to]').fill(redeemedDay);
    await page.locator('[data-test=start-run]').click();
    const row = page.locator('[data-test=statements] tr', { hasText: names.merchant });
    await row.waitFor({ timeout: 30_000 });
    await expect(row.textContent()).resolves.toContain('¥30.00');
    // Four eyes: the one who started the run cannot approve it.
    await expect(row.textContent()).resolves.toContain('需另一位财务审批');
    await screenshot(page, 'console-settlement-started');

    await page.locator('[data-test=sign-out]').click();
    await staffSignIn(page, '/console/', users.finance2);
    await page.waitForURL(/\/console\/settlement$/);
    const pending = page.locator('[data-test=statements] tr', { hasText: names.merchant });
    await pending.getByRole('button', { name: '批准' }).click();
    await page.locator('.van-dialog__confirm').click();
    await pending.waitFor({ state: 'detached' });
    const [statement] = (await stack.dataSource.query(
      `SELECT status, total_fen, started_by, reviewed_by FROM settlement_statement WHERE merchant_id = $1`,
      [merchantId],
    )) as { status: string; total_fen: number; started_by: number; reviewed_by: number }[];
    expect(statement.status).toBe('approved');
    expect(statement.total_fen).toBe(3000);
    expect(statement.reviewed_by).not.toBe(statement.started_by);

    await page.locator('[data-test=create-payout]').click();
    await page.locator('[data-test=create-payout-confirm]').click();
    await page.locator('[data-test=payout-created]').waitFor();
    await page.locator('[data-test=to-payouts]').click();
    const payout = page.locator('[data-test=payouts] tr', { hasText: '¥' }).first();
    await payout.waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      payout.getByRole('button', { name: '下载 CSV' }).click(),
    ]);
    const file = await download.path();
    const csv = readFileSync(file, 'utf8');
    expect(csv).toContain(names.merchant);
    expect(csv).toContain('30.00');
    const [xlsx] = await Promise.all([
      page.waitForEvent('download'),
      payout.getByRole('button', { name: '下载 Excel' }).click(),
    ]);
    expect(xlsx.suggestedFilename()).toMatch(/\.xlsx$/);
    await screenshot(page, 'console-payouts');
  });

  it('auditor: the leverage report shows the redemption (and exports XLSX); the live board and the audit log', async () => {
    const page = await newPage({ width: 1366, height: 900 });
    await staffSignIn(page, '/console/', users.auditor);
    await page.waitForURL(/\/console\/reports$/);
    // Reports read aggregates fed from the outbox (processed every few seconds): ask until it is in.
    const taicang = page.locator('[data-test=report-rows] tr', { hasText: '太仓市' });
    for (
      let i = 0;
      i < 30 && !((await taicang.count()) && (await taicang.textContent())!.includes('¥108.50'));
      i++
    ) {
      await page.waitForTimeout(1000);
      await page.locator('[data-test=report-run]').click();
    }
    // Consumption driven is net of the ¥20.00 refund: ¥108.50 for ¥30.00 of subsidy, leverage 3.6.
    await expect(taicang.textContent()).resolves.toContain('¥108.50');
    await expect(taicang.textContent()).resolves.toContain('¥30.00');
    await expect(taicang.textContent()).resolves.toContain('3.6');
    await screenshot(page, 'console-reports');
    const [xlsx] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('[data-test=report-xlsx]').click(),
    ]);
    expect(xlsx.suggestedFilename()).toMatch(/\.xlsx$/);

    await page.goto(`${stack.baseUrl}/console/board?batch=${batchId}`);
    await expect(page.locator('[data-test=board-claimed]').textContent()).resolves.toBe('1');
    await expect(page.locator('[data-test=board-left]').textContent()).resolves.toBe('99');
    await screenshot(page, 'console-board');

    await page.locator('[data-test=nav-audit]').click();
    await page.locator('[data-test=audit-log] tbody tr').first().waitFor();
    await expect(page.locator('[data-test=audit-log]').textContent()).resolves.toContain('settlement');
    await screenshot(page, 'console-audit');
  });

  it('H5: a voucher whose campaign is paused, then ended, is not shown as usable; an expiry at 00:00 reads as 23:59 the day before', async () => {
    const f = await new Factories({
      get: (t: never) => stack.app.get(t),
      clock: stack.clock,
      dataSource: stack.dataSource,
    } as unknown as TestApi).init();
    const now = stack.clock.nowMs();
    // The campaign ends at 00:00 Suzhou time in ten days, and so does the voucher.
    const suzhouDay = (ms: number) => new Date(ms + 8 * HOUR).toISOString().slice(0, 10);
    const endsAt = new Date(`${suzhouDay(now + 10 * DAY)}T00:00:00+08:00`);
    const campaign = await f.campaign({ startsAt: new Date(now - DAY), endsAt });
    const batch = await f.batch({
      campaignId: campaign.id,
      name: `暂停测试${run}`,
      validity: { kind: 'fixed', from: new Date(now - DAY), until: endsAt },
    });
    const me = await f.citizen();
    const claim = await fetch(`${stack.baseUrl}/api/v1/claiming/batches/${batch.id}/claim`, {
      method: 'POST',
      headers: { authorization: `Bearer ${me.token}` },
    });
    expect(claim.status).toBe(201);
    const [{ id: voucherId }] = (await stack.dataSource.query(
      `SELECT id FROM voucher WHERE batch_id = $1 AND citizen_id = $2`,
      [batch.id, me.id],
    )) as { id: number }[];
    const operator = async (action: 'pause' | 'end') => {
      const res = await fetch(`${stack.baseUrl}/api/v1/campaigns/${campaign.id}/${action}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${f.operatorToken}` },
      });
      expect(res.status).toBe(200);
    };

    const page = await newPage({ width: 375, height: 667 }, true);
    await page.goto(`${stack.baseUrl}/h5/`);
    const saved = JSON.stringify({
      token: me.token,
      expiresAt: new Date(Date.now() + 3600_000).toISOString(),
      user: { id: me.id, phoneMasked: '139****0001', verified: false },
    });
    await page.evaluate(`localStorage.setItem('jinli.h5.session', ${JSON.stringify(saved)})`);
    await page.goto(`${stack.baseUrl}/h5/vouchers`);
    const card = page.locator(`[data-test=voucher-${voucherId}]`);
    await card.waitFor();
    await expect(card.textContent()).resolves.toContain(
      `有效期至 ${suzhouDay(endsAt.getTime() - DAY)} 23:59`,
    );
    await expect(card.locator('[data-test=voucher-halted]').count()).resolves.toBe(0);

    await operator('pause');
    await page.reload();
    await expect(card.locator('[data-test=voucher-halted]').textContent()).resolves.toBe(
      '活动已暂停，暂不能使用',
    );
    await expect(card.textContent()).resolves.toContain('活动已暂停');
    await card.click();
    await page.waitForURL(/\/h5\/vouchers\/\d+$/);
    const warning = page.locator('[data-test=voucher-unusable]');
    await expect(warning.textContent()).resolves.toContain('活动已暂停，暂不能使用');
    await expect(page.locator('[data-test=voucher-qr]').count()).resolves.toBe(0);
    await expect(page.locator('[data-test=voucher-digits]').count()).resolves.toBe(0);

    await operator('end');
    await page.reload();
    await page.locator('[data-test=voucher-unusable][data-reason=campaign_ended]').waitFor();
    await expect(warning.textContent()).resolves.toContain('活动已结束，不能使用');
    await expect(page.locator('[data-test=voucher-qr]').count()).resolves.toBe(0);
  });

  it("owner: the merchant's page shows its stores and the approved settlement statement", async () => {
    const page = await newPage({ width: 375, height: 667 }, true);
    await staffSignIn(page, '/merchant/', users.owner);
    await page.waitForURL(/\/merchant\/owner$/);
    await page.locator('[data-test=per-store]').waitFor();
    await expect(page.locator('[data-test=per-store]').textContent()).resolves.toContain('南门店');
    await page.locator('[data-test=tab-statements]').click();
    const statement = page.locator('[data-test^=statement-]').first();
    await statement.waitFor();
    await expect(statement.textContent()).resolves.toContain('¥30.00');
    await expect(statement.textContent()).resolves.toContain('已批准');
    await screenshot(page, 'merchant-owner-statements');
  });
});
