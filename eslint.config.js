// Lint config (Node, dev time): typescript-eslint + eslint-plugin-svelte, and the who-may-import-what table
// of docs/architecture.md ("Who may import what") enforced as errors by the local `boundaries/imports` rule below.
import path from 'node:path';
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import svelteConfig from './svelte.config.js';

const ROOT = import.meta.dirname;
const NATIVE = ['onnxruntime-node', 'better-sqlite3', 'sharp'];
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Folders that are runtimes, most specific first. A file outside all of them is zone "other". */
const ZONES = [
  ['database/api', ['database/client.ts']],
  [
    'renderer/constants',
    [
      'electron/shared/ipc/images.ts',
      'electron/shared/ipc/datasetTypes.ts',
      'electron/shared/errors.ts',
      'electron/shared/heatmap.ts',
      'electron/shared/mining/coverage.ts',
    ],
  ],
  ['electron/shared', ['electron/shared/']],
  ['electron/main', ['electron/main/']],
  ['electron/preload', ['electron/preload/']],
  ['electron/inference', ['electron/inference/']],
  ['electron/node', ['electron/node/']],
  ['electron/cli', ['electron/cli/']],
  ['database', ['database/']],
  ['renderer', ['renderer/src/']],
];

/**
 * The table: for each runtime folder, which zones it may import (values), which only with `import type`,
 * and which packages it must not import ('builtins' = every node: module). Zones not listed are refused.
 * renderer/constants and database/api are parts of electron/shared and database that others may import.
 */
const RULES = {
  'electron/shared': { allow: ['electron/shared', 'renderer/constants'], deny: ['electron', 'builtins', ...NATIVE] },
  'electron/main': { allow: ['electron/shared', 'renderer/constants', 'electron/main', 'electron/node', 'database/api'], deny: NATIVE },
  'electron/preload': { allow: ['electron/shared', 'renderer/constants', 'electron/preload'], deny: ['builtins', ...NATIVE] },
  'electron/inference': { allow: ['electron/shared', 'renderer/constants', 'electron/inference'], deny: ['electron', 'better-sqlite3'] },
  'electron/node': {
    allow: ['electron/shared', 'renderer/constants', 'electron/node', 'database/api'],
    deny: ['electron', 'onnxruntime-node', 'better-sqlite3'],
  },
  'electron/cli': {
    allow: ['electron/shared', 'renderer/constants', 'electron/cli', 'electron/node', 'database/api'],
    deny: ['electron', 'onnxruntime-node', 'better-sqlite3'],
  },
  // The worker runs the shared pure-TypeScript rpc (serve loop, contracts, errors): electron/shared denies Node
  // built-ins and native packages, so nothing Electron- or process-specific reaches the worker through it.
  database: {
    allow: ['database', 'database/api', 'electron/shared', 'renderer/constants'],
    deny: ['electron', 'onnxruntime-node'],
  },
  renderer: { allow: ['renderer', 'renderer/constants'], typeOnly: ['electron/shared'], deny: ['electron', 'builtins', ...NATIVE] },
};

function zoneOf(file) {
  const rel = path.relative(ROOT, file).split(path.sep).join('/');
  for (const [name, prefixes] of ZONES) if (prefixes.some((p) => (p.endsWith('/') ? rel.startsWith(p) : rel === p))) return name;
  return 'other';
}

function packageName(source) {
  const parts = source.split('/');
  return source.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The reason `source` may not be imported from `file`, or null when it may. */
function violation(file, source, typeOnly) {
  const from = zoneOf(file);
  const rule =
    RULES[from === 'renderer/constants' || from === 'database/api' ? (from === 'database/api' ? 'database' : 'electron/shared') : from];
  if (!rule) return null;
  let target;
  if (source.startsWith('.')) target = zoneOf(path.resolve(path.dirname(file), source));
  else if (source.startsWith('$shared/')) target = zoneOf(path.join(ROOT, 'electron', 'shared', source.slice(8)));
  else {
    const name = packageName(source);
    if (BUILTINS.has(source) && rule.deny.includes('builtins')) return `${from} runs without Node built-ins`;
    return rule.deny.includes(name) ? `${from} may not use ${name}` : null;
  }
  if (rule.allow.includes(target)) return null;
  if (typeOnly && rule.typeOnly?.includes(target)) return null;
  if (rule.typeOnly?.includes(target)) return `${from} may import only types from ${target} (use \`import type\`)`;
  return `${from} may not import from ${target}`;
}

const boundaries = {
  rules: {
    imports: {
      meta: {
        type: 'problem',
        schema: [],
        messages: { refused: "'{{source}}': {{why}} (see the import table in docs/architecture.md)." },
      },
      create(context) {
        const file = context.filename;
        const check = (node, typeOnly) => {
          const source = node.source;
          if (!source || typeof source.value !== 'string') return;
          const why = violation(file, source.value, typeOnly);
          if (why) context.report({ node: source, messageId: 'refused', data: { source: source.value, why } });
        };
        return {
          ImportDeclaration: (node) => check(node, node.importKind === 'type'),
          ExportNamedDeclaration: (node) => check(node, node.exportKind === 'type'),
          ExportAllDeclaration: (node) => check(node, node.exportKind === 'type'),
          ImportExpression: (node) => check(node, false),
        };
      },
    },
  },
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'out/',
      'dist/',
      'release/',
      'renderer/dist/',
      '.venv/',
      'models/',
      'test/e2e/output/',
      'test/.tmp/',
      '**/*.d.ts',
      'coverage/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs.recommended,
  {
    plugins: { boundaries },
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2024, sourceType: 'module' },
    rules: {
      'boundaries/imports': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'Use a const array + union type (erasable syntax only).' },
      ],
      // Plain Map/Set caches invalidated by an explicit $state version counter are a deliberate pattern here.
      'svelte/prefer-svelte-reactivity': 'off',
    },
  },
  {
    files: ['electron/**/*.ts', 'database/**/*.ts'],
    rules: { '@typescript-eslint/explicit-module-boundary-types': 'error' },
  },
  {
    files: ['renderer/src/**/*.ts', 'renderer/src/**/*.svelte'],
    ignores: ['renderer/src/lib/api/client.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'window', property: 'api', message: 'Use renderer/src/lib/api/client.ts, the only module that touches window.api.' },
        { object: 'globalThis', property: 'api', message: 'Use renderer/src/lib/api/client.ts, the only module that touches window.api.' },
      ],
    },
  },
  {
    files: ['renderer/src/lib/api/client.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'], svelteConfig } },
  },
);
