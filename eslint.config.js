// ESLint flat config: typescript-eslint's recommended rules over hand-written code.
// Generated output is checked by the drift check and tsc, not linted (ts-proto output is not ours).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "node_modules/**",
      "generated/**",
      "test/cases/**",
      "cdk.out/**",
      ".tmp/**",
      "**/*.d.ts",
      "**/dist/**",
      ".local/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
    },
  },
);
