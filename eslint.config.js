// Lint rules double as the architecture's guard rails: the layering below is what keeps the core
// usable from the CLI and tests, and the renderer unable to reach Node or Electron.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['fs', 'path', 'os', 'child_process', 'crypto', 'url', 'util', 'worker_threads', 'zlib', 'stream', 'module', 'net', 'http', 'https'];
const builtinPatterns = [...nodeBuiltins, ...nodeBuiltins.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'dist/**', 'test-output/**', 'bench-output/**', 'training/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Plain-JS launchers and scripts run on Node.
    files: ['bin/**/*.js', 'scripts/**/*.js', 'scripts/**/*.cjs'],
    languageOptions: {
      globals: { console: 'readonly', process: 'readonly', require: 'readonly', module: 'writable', __dirname: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: "Property[key.name='nodeIntegration'][value.value=true]", message: 'nodeIntegration stays off.' },
        { selector: "Property[key.name='sandbox'][value.value=false]", message: 'The renderer stays sandboxed.' },
        { selector: "Property[key.name='contextIsolation'][value.value=false]", message: 'contextIsolation stays on.' },
        { selector: "Property[key.name='webSecurity'][value.value=false]", message: 'webSecurity stays on.' },
        {
          selector: "VariableDeclarator[id.name='require']",
          message: 'Name it something else: electron-vite adds its own `require` shim to ESM bundles, and a second declaration breaks the built worker.',
        },
      ],
    },
  },
  {
    // The domain core, the host services, the worker and the CLI never touch Electron.
    files: ['src/core/**', 'src/host/**', 'src/worker/**', 'src/cli/**', 'src/shared/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'Only src/main and src/preload may import electron.' }], patterns: [{ group: ['**/main/**', '**/renderer/**', '**/preload/**'], message: 'Core layers must not depend on the shells.' }] }],
    },
  },
  {
    // The core is pure domain: no host, worker or CLI imports.
    files: ['src/core/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'The core never imports electron.' }], patterns: [{ group: ['**/host/**', '**/worker/**', '**/cli/**', '**/main/**', '**/renderer/**', '**/preload/**'], message: 'The core depends only on shared/ and libraries.' }] }],
    },
  },
  {
    // Shared contract: types and schemas only.
    files: ['src/shared/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: ['electron'], patterns: [{ group: ['../*', ...builtinPatterns], message: 'shared/ imports nothing but zod.' }] }],
    },
  },
  {
    // The renderer is a web page: no Node, no Electron, no core. It talks only through window.api.
    files: ['src/renderer/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: ['electron', ...builtinPatterns], patterns: [{ group: ['**/core/**', '**/host/**', '**/worker/**', '**/main/**', '**/cli/**'], message: 'The renderer reaches the app only through window.api.' }] }],
    },
  },
  {
    // Raw IPC primitives stay inside the few files that wrap them.
    files: ['src/main/**'],
    ignores: ['src/main/ipc.ts', 'src/main/workerProcess.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', importNames: ['ipcMain', 'utilityProcess'], message: 'Use src/main/ipc.ts / workerProcess.ts.' }] }],
    },
  },
);
