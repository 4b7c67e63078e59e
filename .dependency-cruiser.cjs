/**
 * Dependency direction (style.md): issuing <- claiming <- redemption <- settlement <- reporting, all of
 * them -> platform and contracts. contracts imports nothing of ours; production code never imports
 * libs/testing; libraries never import apps. Run by `npm test`.
 */
const lib = (name) => `^libs/${name}/`;
const order = ['issuing', 'claiming', 'redemption', 'settlement', 'reporting'];

const forbidden = [
  {
    name: 'contracts-import-nothing',
    severity: 'error',
    from: { path: lib('contracts') },
    to: { path: '^(libs|apps|db)/', pathNot: lib('contracts') },
  },
  {
    name: 'platform-only-contracts',
    severity: 'error',
    from: { path: lib('platform') },
    to: { path: '^(libs|apps|db)/', pathNot: [lib('platform'), lib('contracts')] },
  },
  {
    name: 'libs-not-apps',
    severity: 'error',
    from: { path: '^libs/', pathNot: lib('testing') },
    to: { path: '^apps/' },
  },
  {
    name: 'testing-only-in-tests',
    severity: 'error',
    from: {
      path: '^(apps|libs|db|scripts)/',
      pathNot: [lib('testing'), '\\.(spec|int-spec|e2e-spec)\\.ts$'],
    },
    to: { path: lib('testing') },
  },
  { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  {
    name: 'web-only-contracts',
    severity: 'error',
    from: { path: '^apps/web/' },
    to: { path: '^(libs|apps/api|apps/worker|db)/', pathNot: lib('contracts') },
  },
];
// A context may use the ones before it in the chain, never the ones after.
order.forEach((name, i) => {
  const later = order.slice(i + 1);
  if (later.length) {
    forbidden.push({
      name: `${name}-not-downstream`,
      severity: 'error',
      from: { path: lib(name) },
      to: { path: `^libs/(${later.join('|')})/` },
    });
  }
});
// Other libraries are reached only through their index.ts.
forbidden.push(
  {
    name: 'lib-through-index',
    severity: 'error',
    from: { path: '^libs/([^/]+)/' },
    to: { path: '^libs/[^/]+/src/.+', pathNot: ['^libs/[^/]+/src/index\\.ts$', '^libs/$1/'] },
  },
  {
    name: 'apps-through-index',
    severity: 'error',
    from: { path: '^(apps|db|scripts|test)/' },
    to: { path: '^libs/[^/]+/src/.+', pathNot: '^libs/[^/]+/src/index\\.ts$' },
  },
);

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^dist/|node_modules)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
