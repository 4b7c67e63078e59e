/** Suzhou reference data (domain.md). Codes are stable identifiers; names are what users read. */
export const DISTRICTS = [
  { code: 'gusu', name: '姑苏区' },
  { code: 'wuzhong', name: '吴中区' },
  { code: 'xiangcheng', name: '相城区' },
  { code: 'wujiang', name: '吴江区' },
  { code: 'sip', name: '苏州工业园区' },
  { code: 'snd', name: '苏州高新区（虎丘区）' },
  { code: 'zhangjiagang', name: '张家港市' },
  { code: 'changshu', name: '常熟市' },
  { code: 'taicang', name: '太仓市' },
  { code: 'kunshan', name: '昆山市' },
] as const;
export type DistrictCode = (typeof DISTRICTS)[number]['code'];

export const CATEGORIES = [
  { code: 'catering', name: '餐饮' },
  { code: 'retail', name: '零售/商超' },
  { code: 'auto', name: '汽车' },
  { code: 'appliance', name: '家电' },
  { code: 'hotel', name: '住宿' },
  { code: 'tourism', name: '文旅' },
  { code: 'heritage', name: '老字号' },
] as const;
export type CategoryCode = (typeof CATEGORIES)[number]['code'];

export const DISTRICT_CODES: readonly string[] = DISTRICTS.map((d) => d.code);
export const CATEGORY_CODES: readonly string[] = CATEGORIES.map((c) => c.code);
