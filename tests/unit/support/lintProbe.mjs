// Lints source text as if it were the file at a given path under src/, with the project's own ESLint config:
// `node lintProbe.mjs <path>` with the code on stdin; prints the messages as JSON. Types are not read (the
// file is not on disk), so the rules that need them are left out; the layer rules need none.
import { ESLint } from 'eslint';

const path = process.argv[2];
let code = '';
for await (const chunk of process.stdin) {
  code += chunk;
}
const eslint = new ESLint({
  overrideConfig: [
    {
      files: ['**/*.{ts,tsx}'],
      languageOptions: { parserOptions: { project: false, projectService: false } },
      rules: { '@typescript-eslint/no-deprecated': 'off' },
    },
  ],
});
const [result] = await eslint.lintText(code, { filePath: path });
process.stdout.write(JSON.stringify(result.messages.map((m) => ({ ruleId: m.ruleId, message: m.message }))));
