import ts from 'typescript';
import tseslint from 'typescript-eslint';

/**
 * Guards against a plain object used as a table and read with a key that may come from outside:
 * `TOPICS[topic]` finds `Object.prototype.constructor` for the topic `constructor`, and a webhook, pixel
 * event or query parameter so named then answered 500; `table[a][b] = v` with `a` = `__proto__` writes
 * into every object. Reported: reading (`t[k]`, `t[k] ??= …`, `t[k]++`) through a key typed `string`
 * (not a union of known names) from an object with a `string` index signature (`Record<string, T>`,
 * headers, parsed JSON). A plain write `t[k] = v` is left alone: pollution needs such a read first.
 * Fixes: a `Map`; a key narrowed to known names (`Record<EventKind, T>`); a read guarded by
 * `Object.hasOwn(t, k)` in the enclosing condition; or a key that `for (const k in t)` listed.
 */
const openRecordLookup = {
  meta: {
    type: 'problem',
    schema: [],
    messages: {
      lookup:
        'A `string` key into a `Record<string, …>` also finds Object.prototype members (`constructor`, `__proto__`); use a Map, a narrower key type, or guard the read with Object.hasOwn.',
    },
  },
  create(context) {
    const services = context.sourceCode.parserServices;
    if (!services?.program) return {};
    const checker = services.program.getTypeChecker();
    const text = (node) => context.sourceCode.getText(node);
    const parts = (type) => (type.isUnion() ? type.types : [type]);
    const isOpenString = (type) =>
      parts(type).some((t) => (t.flags & (ts.TypeFlags.String | ts.TypeFlags.TemplateLiteral)) !== 0);
    const hasStringIndex = (type) =>
      parts(checker.getNonNullableType(type)).some((t) =>
        checker.getIndexInfosOfType(t).some((info) => (info.keyType.flags & ts.TypeFlags.String) !== 0),
      );
    /** `Object.hasOwn(object, key)` anywhere in an `&&` chain. */
    const checksOwn = (test, node) =>
      test?.type === 'LogicalExpression' && test.operator === '&&'
        ? checksOwn(test.left, node) || checksOwn(test.right, node)
        : test?.type === 'CallExpression' &&
          text(test.callee) === 'Object.hasOwn' &&
          text(test.arguments[0]) === text(node.object) &&
          text(test.arguments[1]) === text(node.property);
    const guarded = (node) => {
      for (let child = node, parent = node.parent; parent; child = parent, parent = parent.parent) {
        if (
          (parent.type === 'ConditionalExpression' || parent.type === 'IfStatement') &&
          parent.test !== child
        ) {
          if (checksOwn(parent.test, node)) return true;
        } else if (
          parent.type === 'LogicalExpression' &&
          parent.operator === '&&' &&
          parent.right === child
        ) {
          if (checksOwn(parent.left, node)) return true;
        } else if (
          parent.type === 'ForInStatement' &&
          parent.body === child &&
          text(parent.right) === text(node.object) &&
          parent.left.type === 'VariableDeclaration' &&
          text(parent.left.declarations[0].id) === text(node.property)
        )
          return true;
      }
      return false;
    };
    const plainWrite = (node) =>
      node.parent.type === 'AssignmentExpression' &&
      node.parent.operator === '=' &&
      node.parent.left === node;
    return {
      'MemberExpression[computed=true]'(node) {
        if (node.property.type === 'Literal' || plainWrite(node)) return;
        if (!isOpenString(services.getTypeAtLocation(node.property))) return;
        if (!hasStringIndex(services.getTypeAtLocation(node.object))) return;
        if (!guarded(node)) context.report({ node, messageId: 'lookup' });
      },
    };
  },
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'data/**',
      'dist/**',
      'test-artefacts/**',
      'coverage/**',
      'contracts/**',
      'extensions/custom-pixel/**',
    ],
  },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { reclaim: { rules: { 'no-open-record-lookup': openRecordLookup } } },
    rules: {
      'reclaim/no-open-record-lookup': 'error',
      'no-restricted-syntax': [
        'error',
        {
          // `'constructor' in TABLE` is true for every plain object: a name from input is checked with
          // a Map, a Set or Object.hasOwn. Literal names (`'value' in decision`) narrow union types.
          selector: 'BinaryExpression[operator="in"][left.type!="Literal"]',
          message:
            'A name from input is `in` every plain object when it names an Object.prototype member; use a Map, a Set or Object.hasOwn.',
        },
      ],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Only src/config reads the environment.' },
      ],
    },
  },
  {
    files: ['src/config/**', 'test/**', 'bench/**', 'bin/**', 'vitest.config.ts', 'vitest.faults.config.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // Tests read untyped JSON answers (`res.json()`); the assertions are what check their shape. Their
    // keys are their own fixtures', not a shopper's, so open-record lookups are theirs to make.
    files: ['test/**', '**/*.test.ts', 'bench/**'],
    rules: {
      'reclaim/no-open-record-lookup': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
