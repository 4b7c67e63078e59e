import { DataSource, EntityManager } from 'typeorm';
import { CATEGORIES, DISTRICTS } from '@jinli/contracts';
import { addDays, businessDayOf, PasswordHasher, zonedInstant } from '@jinli/platform';

/** The password of every demo account. Printed by `npm start`; never use the demo seed in production. */
export const DEMO_PASSWORD = 'Jinli-demo-2020';

export const DEMO_ACCOUNTS = [
  {
    username: 'operator',
    role: 'operator',
    displayName: '商务局运营 张敏',
    what: '运营（商务局）：出资方、活动、券批次、商户审核、实时领取看板',
  },
  {
    username: 'finance',
    role: 'finance',
    displayName: '财务审核 李静',
    what: '财务审核：发起结算、导出打款文件',
  },
  {
    username: 'finance2',
    role: 'finance',
    displayName: '财务复核 王磊',
    what: '财务复核：审批结算单（四眼原则，与发起人不同）',
  },
  { username: 'auditor', role: 'auditor', displayName: '审计 陈洁', what: '审计/领导：报表与审计日志' },
  {
    username: 'songhelou',
    role: 'merchant_owner',
    displayName: '松鹤楼 店长',
    what: '商户店长：门店、收银员、结算单',
  },
  {
    username: 'songhelou-cashier',
    role: 'cashier',
    displayName: '松鹤楼 收银员',
    what: '收银员：扫码核销、退款',
  },
] as const;

const DAY = 24 * 3600 * 1000;
const SUZHOU = 'Asia/Shanghai';

const BRANDS: Record<string, string[]> = {
  catering: [
    '松鹤楼',
    '得月楼',
    '朱鸿兴',
    '同得兴',
    '哑巴生煎',
    '陆稿荐',
    '新聚丰',
    '王四酒家',
    '山塘人家',
    '平江小馆',
    '石路面馆',
    '金鸡湖茶餐厅',
  ],
  retail: [
    '美罗百货',
    '苏州中心商场',
    '印象城',
    '华润万家',
    '永辉超市',
    '大润发',
    '观前街百货',
    '湖东邻里中心',
    '石路国际商城',
    '文化书店',
  ],
  auto: ['苏州华成汽车', '东风日产苏州店', '吴中汽车城', '园区新能源车行', '相城汽车广场'],
  appliance: ['苏宁易购', '国美电器', '五星电器', '吴江家电城', '昆山电器行'],
  hotel: ['苏州香格里拉', '平江客栈', '金鸡湖大酒店', '同里湖度假村', '太湖饭店'],
  tourism: ['拙政园文创', '苏州乐园', '周庄古镇', '寒山寺文旅', '平江路评弹馆'],
  heritage: ['采芝斋', '黄天源', '稻香村', '乾泰祥', '雷允上', '叶受和'],
};
const SUFFIXES = [
  '观前店',
  '石路店',
  '园区店',
  '湖西店',
  '新区店',
  '木渎店',
  '吴江店',
  '昆山店',
  '常熟店',
  '太仓店',
  '张家港店',
  '相城店',
];

/** Deterministic pseudo-random numbers so the demo is the same on every machine. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export interface SeedSummary {
  funders: number;
  campaigns: number;
  batches: number;
  merchants: number;
  stores: number;
  cashiers: number;
}

/** True when the database holds no issuing data yet (the demo seed only fills an empty database). */
export async function isEmpty(ds: DataSource): Promise<boolean> {
  const [row] = (await ds.query(
    `SELECT (SELECT count(*) FROM funder) + (SELECT count(*) FROM staff_account) AS n`,
  )) as { n: number }[];
  return row.n === 0;
}

/**
 * Suzhou demo data: the districts' and city's funders, the seed report's campaigns with sensible
 * batches (dates around `now`, so rounds are open or about to open), 300 merchants with stores and
 * cashiers, and one account per role.
 */
export async function seedSuzhouDemo(ds: DataSource, now: Date, merchantCount = 300): Promise<SeedSummary> {
  const hash = await new PasswordHasher().hash(DEMO_PASSWORD);
  return ds.transaction(async (m) => {
    const funders = await insertFunders(m);
    const { campaigns, batches } = await insertCampaigns(m, funders, now);
    const merchants = await insertMerchants(m, hash, merchantCount);
    for (const a of DEMO_ACCOUNTS.filter(
      (x) => x.role === 'operator' || x.role === 'finance' || x.role === 'auditor',
    )) {
      await m.query(
        `INSERT INTO staff_account (username, password_hash, role, display_name) VALUES ($1, $2, $3, $4)`,
        [a.username, hash, a.role, a.displayName],
      );
    }
    return { funders: funders.size, campaigns, batches, ...merchants };
  });
}

async function insertFunders(m: EntityManager): Promise<Map<string, number>> {
  const rows: [string, string, string | null, number][] = [
    ['苏州市人民政府', 'city', null, 12_800_000_000],
    ['姑苏区人民政府', 'district', 'gusu', 2_000_000_000],
    ['苏州工业园区管委会', 'district', 'sip', 2_000_000_000],
    ['苏州高新区管委会', 'district', 'snd', 3_000_000_000],
    ['张家港市人民政府', 'district', 'zhangjiagang', 3_000_000_000],
    ['常熟市人民政府', 'district', 'changshu', 2_000_000_000],
    ['昆山市人民政府', 'district', 'kunshan', 5_000_000_000],
    ['银联苏州分公司', 'company', null, 1_000_000_000],
  ];
  const ids = new Map<string, number>();
  for (const [name, kind, district, budget] of rows) {
    const [r] = (await m.query(
      `INSERT INTO funder (name, kind, district, budget_fen, status) VALUES ($1, $2, $3, $4, 'published') RETURNING id`,
      [name, kind, district, budget],
    )) as { id: number }[];
    ids.set(name, r.id);
  }
  return ids;
}

interface BatchSeed {
  name: string;
  face: number;
  threshold: number;
  categories: string[];
  districts: string[];
  windows?: { start: string; end: string }[];
  quota: number;
  rounds: { openInMs: number; quota: number }[];
  validDays?: number;
  perCitizen?: number;
}

async function insertCampaigns(m: EntityManager, funders: Map<string, number>, now: Date) {
  const t = now.getTime();
  // Rounds: one open since this morning, one opening at the next 10:00 (Suzhou time), one the day after.
  const next10 = nextLocalTime(now, 10);
  const campaigns: {
    name: string;
    description: string;
    days: number;
    budget: number;
    shares: [string, number][];
    batches: BatchSeed[];
  }[] = [
    {
      name: '姑苏八点半 夜经济消费券',
      description: '“姑苏八点半”夜间经济品牌：晚 20:30 至次日 02:00 在餐饮、零售、文旅商户使用。',
      days: 60,
      budget: 1_000_000_000,
      shares: [
        ['苏州市人民政府', 7000],
        ['姑苏区人民政府', 3000],
      ],
      batches: [
        {
          name: '夜间满100减30',
          face: 3000,
          threshold: 10000,
          categories: ['catering', 'retail', 'tourism'],
          districts: ['gusu'],
          windows: [{ start: '20:30', end: '02:00' }],
          quota: 100_000,
          rounds: [
            { openInMs: -2 * 3600_000, quota: 20_000 },
            { openInMs: next10 - t, quota: 20_000 },
            { openInMs: next10 - t + DAY, quota: 20_000 },
          ],
          validDays: 7,
        },
      ],
    },
    {
      name: '乐享美食季',
      description: '7 月 4 日起两个月，全市餐饮商户满减。',
      days: 61,
      budget: 2_000_000_000,
      shares: [
        ['苏州市人民政府', 6000],
        ['银联苏州分公司', 4000],
      ],
      batches: [
        {
          name: '美食满200减50',
          face: 5000,
          threshold: 20000,
          categories: ['catering', 'heritage'],
          districts: [],
          quota: 200_000,
          rounds: [
            { openInMs: -3600_000, quota: 50_000 },
            { openInMs: next10 - t, quota: 50_000 },
          ],
          validDays: 14,
        },
        {
          name: '美食满60减15',
          face: 1500,
          threshold: 6000,
          categories: ['catering'],
          districts: [],
          quota: 300_000,
          rounds: [
            { openInMs: -3600_000, quota: 100_000 },
            { openInMs: next10 - t + DAY, quota: 100_000 },
          ],
          validDays: 14,
          perCitizen: 2,
        },
      ],
    },
    {
      name: '苏州锦鲤 商户惠民券',
      description: '“苏州锦鲤”商户计划：参与商户无理由退货，全市零售、商超通用。',
      days: 90,
      budget: 3_000_000_000,
      shares: [['苏州市人民政府', 10000]],
      batches: [
        {
          name: '零售满100减20',
          face: 2000,
          threshold: 10000,
          categories: ['retail', 'heritage'],
          districts: [],
          quota: 500_000,
          rounds: [
            { openInMs: -3600_000, quota: 100_000 },
            { openInMs: next10 - t, quota: 100_000 },
          ],
          validDays: 10,
        },
      ],
    },
    {
      name: '暑期购物狂欢节',
      description: '7 月 25 日起，家电、汽车消费补贴。',
      days: 45,
      budget: 2_000_000_000,
      shares: [
        ['苏州市人民政府', 5000],
        ['苏州工业园区管委会', 2500],
        ['苏州高新区管委会', 2500],
      ],
      batches: [
        {
          name: '家电满1000减200',
          face: 20000,
          threshold: 100000,
          categories: ['appliance'],
          districts: [],
          quota: 50_000,
          rounds: [{ openInMs: next10 - t, quota: 25_000 }],
          validDays: 30,
        },
        {
          name: '购车满5万减3000',
          face: 300000,
          threshold: 5000000,
          categories: ['auto'],
          districts: [],
          quota: 2_000,
          rounds: [{ openInMs: next10 - t, quota: 1_000 }],
          validDays: 30,
        },
      ],
    },
    {
      name: '十一黄金周 文旅住宿券',
      description: '国庆长假住宿、文旅满减。',
      days: 30,
      budget: 500_000_000,
      shares: [
        ['苏州市人民政府', 8000],
        ['常熟市人民政府', 2000],
      ],
      batches: [
        {
          name: '住宿满300减100',
          face: 10000,
          threshold: 30000,
          categories: ['hotel', 'tourism'],
          districts: [],
          quota: 20_000,
          rounds: [{ openInMs: next10 - t + DAY, quota: 10_000 }],
          validDays: 15,
        },
      ],
    },
    {
      name: '张家港“美好2020”消费券',
      description: '张家港市 3000 万元消费券，4 月 8 日至 5 月 5 日，市内商户通用。',
      days: 28,
      budget: 3_000_000_000,
      shares: [['张家港市人民政府', 10000]],
      batches: [
        {
          name: '张家港满50减10',
          face: 1000,
          threshold: 5000,
          categories: [],
          districts: ['zhangjiagang'],
          quota: 1_500_000,
          rounds: [
            { openInMs: -3600_000, quota: 500_000 },
            { openInMs: next10 - t, quota: 500_000 },
            { openInMs: next10 - t + DAY, quota: 500_000 },
          ],
          validDays: 7,
          perCitizen: 2,
        },
      ],
    },
  ];

  let batchCount = 0;
  // Campaigns run whole Suzhou days: from midnight a week ago to midnight `days` days from today.
  const today = businessDayOf(now, SUZHOU);
  for (const c of campaigns) {
    const startsAt = zonedInstant(addDays(today, -7), '00:00', SUZHOU);
    const endsAt = zonedInstant(addDays(today, c.days), '00:00', SUZHOU);
    const [row] = (await m.query(
      `INSERT INTO campaign (name, description, starts_at, ends_at, budget_fen, status) VALUES ($1, $2, $3, $4, $5, 'published') RETURNING id`,
      [c.name, c.description, startsAt, endsAt, c.budget],
    )) as { id: number }[];
    for (const [funder, share] of c.shares) {
      await m.query(`INSERT INTO campaign_funder (campaign_id, funder_id, share_bp) VALUES ($1, $2, $3)`, [
        row.id,
        funders.get(funder),
        share,
      ]);
    }
    for (const b of c.batches) {
      const [batch] = (await m.query(
        `INSERT INTO voucher_batch (campaign_id, name, face_value_fen, threshold_fen, allowed_categories, allowed_districts,
           validity_kind, valid_days, usage_windows, quota, per_citizen_limit, status, published_at, roll_over_unclaimed)
         VALUES ($1, $2, $3, $4, $5, $6, 'relative', $7, $8, $9, $10, 'published', $11, true) RETURNING id`,
        [
          row.id,
          b.name,
          b.face,
          b.threshold,
          b.categories,
          b.districts,
          b.validDays ?? 7,
          JSON.stringify(b.windows ?? []),
          b.quota,
          b.perCitizen ?? 1,
          now,
        ],
      )) as { id: number }[];
      let seq = 1;
      for (const r of b.rounds) {
        await m.query(`INSERT INTO claim_round (batch_id, seq, opens_at, quota) VALUES ($1, $2, $3, $4)`, [
          batch.id,
          seq++,
          new Date(t + r.openInMs),
          r.quota,
        ]);
      }
      batchCount++;
    }
  }
  return { campaigns: campaigns.length, batches: batchCount };
}

async function insertMerchants(m: EntityManager, hash: string, count: number) {
  const rand = rng(2020);
  let stores = 0;
  let cashiers = 0;
  const categories = CATEGORIES.map((c) => c.code);
  const districts = DISTRICTS.map((d) => d.code);
  for (let i = 0; i < count; i++) {
    const first = i === 0;
    const category = first ? 'catering' : categories[Math.floor(rand() * categories.length)];
    const district = first ? 'gusu' : districts[Math.floor(rand() * districts.length)];
    const brands = BRANDS[category];
    const name = first
      ? '松鹤楼'
      : `${brands[i % brands.length]}${i >= brands.length ? `（${SUFFIXES[i % SUFFIXES.length].replace('店', '')}${Math.floor(i / brands.length)}号）` : ''}`;
    // Most merchants are approved; some wait for review and a few were turned down, so the console has work.
    const status = first ? 'approved' : i % 25 === 0 ? 'rejected' : i % 10 === 0 ? 'pending' : 'approved';
    const phone = `139${String(10_000_000 + i * 7919).slice(-8)}`;
    const [row] = (await m.query(
      `INSERT INTO merchant (name, category, district, status, reject_reason, contact_name, contact_phone, bank_account_name, bank_name, bank_account_no, reviewed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, CASE WHEN $4 = 'pending' THEN NULL ELSE now() END) RETURNING id`,
      [
        name,
        category,
        district,
        status,
        status === 'rejected' ? '营业执照信息与门店不一致，请核实后重新申请' : null,
        `联系人${i + 1}`,
        phone,
        `苏州${name.replace(/[（）()0-9号]/g, '')}有限公司`,
        ['中国银行苏州分行', '工商银行苏州分行', '苏州银行', '农业银行苏州分行'][i % 4],
        `62${String(1e15 + i * 104729).slice(0, 17)}`,
      ],
    )) as { id: number }[];
    const storeCount = first ? 2 : 1 + Math.floor(rand() * 3);
    const storeIds: number[] = [];
    for (let s = 0; s < storeCount; s++) {
      const storeDistrict = s === 0 ? district : districts[Math.floor(rand() * districts.length)];
      const [st] = (await m.query(
        `INSERT INTO store (merchant_id, name, district, address) VALUES ($1, $2, $3, $4) RETURNING id`,
        [
          row.id,
          `${name}${SUFFIXES[(i + s) % SUFFIXES.length]}`,
          storeDistrict,
          `${DISTRICTS.find((d) => d.code === storeDistrict)?.name ?? ''}示范路${(i * 7 + s) % 300}号`,
        ],
      )) as { id: number }[];
      storeIds.push(st.id);
      stores++;
    }
    const owner = first ? 'songhelou' : `m${row.id}-owner`;
    await m.query(
      `INSERT INTO staff_account (username, password_hash, role, display_name, merchant_id, phone) VALUES ($1, $2, 'merchant_owner', $3, $4, $5)`,
      [owner, hash, `${name} 店长`, row.id, phone],
    );
    if (status === 'approved') {
      for (const [s, storeId] of storeIds.entries()) {
        const username = first && s === 0 ? 'songhelou-cashier' : `m${row.id}-s${storeId}-cashier`;
        await m.query(
          `INSERT INTO staff_account (username, password_hash, role, display_name, merchant_id, store_id) VALUES ($1, $2, 'cashier', $3, $4, $5)`,
          [username, hash, `${name} 收银员${s + 1}`, row.id, storeId],
        );
        cashiers++;
      }
    }
  }
  return { merchants: count, stores, cashiers };
}

/** The next time the local (Asia/Shanghai, UTC+8) clock shows `hour`:00. */
function nextLocalTime(now: Date, hour: number): number {
  const offset = 8 * 3600_000;
  const local = new Date(now.getTime() + offset);
  const target = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate(), hour) - offset;
  return target > now.getTime() ? target : target + DAY;
}
