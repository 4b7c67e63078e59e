import { Browser, BrowserContext, Page } from 'playwright-core';
import { Role } from '@jinli/contracts';
import { MerchantService } from '@jinli/issuing';
import { StaffAuthService } from '@jinli/platform';
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
    roundOpensAt = Math.ceil((Date.now() + 25_000) / 1000) * 1000;
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

    // The owner adds a cashier to the store (the owner's own page has no form for it yet).
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
});
