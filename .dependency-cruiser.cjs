/**
 * The house rules (docs/ARCHITECTURE.md, "Layers"), checked by `npm run check:deps`, which the
 * README's test command runs. A module may import its own layer and the layers below it, never
 * one above; the adapters and the development code are reached only from the composition root.
 */

/** Lowest first. Each entry: a layer's name and the folders of src/ it holds. */
const LAYERS = [
  ['shared', ['shared']],
  ['domain', ['identity']],
  ['ports', ['storage/ports']],
  ['kits', ['ui', 'saml/core']],
  ['login', ['login']],
  ['modules', ['auth', 'federation', 'provisioning', 'gar']],
  ['login pages', ['login-pages']],
  ['protocols', ['oidc', 'saml/idp']],
  ['http', ['http']],
  ['admin', ['admin']],
  ['configuration', ['config']],
  ['composition', ['wiring', 'dev']],
  ['commands', ['cli']],
];

const ADAPTERS = 'storage/(sql|redis|memory|file)';
const folders = (names) => `^src/(${names.join('|')})/`;

const layerRules = LAYERS.slice(0, -1).map(([name, own], i) => ({
  name: `layer-${name.replace(/ /g, '-')}`,
  comment: `${own.join(', ')} may not import a higher layer (${LAYERS.slice(i + 1).map(([n]) => n).join(', ')})`,
  severity: 'error',
  from: { path: folders(own) },
  to: { path: folders(LAYERS.slice(i + 1).flatMap(([, f]) => f)) },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'oidc-provider-only-in-oidc',
      comment: 'oidc-provider is the OIDC module\'s engine: every other module speaks to the login through src/login',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/oidc/' },
      to: { path: '(^|/)node_modules/(@types/)?oidc-provider/' },
    },
    {
      name: 'adapters-only-from-wiring',
      comment: 'modules receive ports; only the composition root (src/wiring) picks and opens an adapter',
      severity: 'error',
      from: { path: '^src/', pathNot: `^src/(wiring|${ADAPTERS})/` },
      to: { path: `^src/${ADAPTERS}/` },
    },
    {
      name: 'adapters-stay-apart',
      comment: 'one adapter does not reach into another',
      severity: 'error',
      from: { path: `^src/${ADAPTERS}/` },
      to: { path: `^src/${ADAPTERS}/`, pathNot: '^src/storage/$1/' },
    },
    {
      name: 'dev-only-from-wiring',
      comment: 'the demo seed and demo RP are wired only in development, by the composition root',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(wiring|dev)/' },
      to: { path: '^src/dev/' },
    },
    {
      name: 'src-not-to-testing',
      comment: 'test data, fixtures and harnesses serve test/ and bench/, never the product',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(testing|test|bench|scripts)/' },
    },
    {
      name: 'src-not-to-test-libraries',
      comment: 'the product does not ship test libraries',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '(^|/)node_modules/(@types/)?(chai|mocha|playwright-core)/' },
    },
    {
      name: 'no-circular',
      comment: 'no file circles: each module has a clear door',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
