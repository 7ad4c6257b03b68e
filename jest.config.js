/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests"],
  testMatch: ["**/*.test.ts"],
  // @swc/jest over ts-jest: on this suite (133 tests, --no-cache) 6.0-6.4 s vs 7.1-7.8 s for
  // ts-jest with isolatedModules, and ts-jest with type checking is several times slower still.
  // Types are checked once, by `tsc --noEmit` in `npm test`.
  transform: { "^.+\\.ts$": ["@swc/jest"] },
  // tests/tools needs Debian's cloud-init, sshd (and later systemd, shellcheck): `npm run test:tools`.
  // tests/host boots a container: `npm run test:host`. `npm test` needs nothing beyond `npm ci`.
  testPathIgnorePatterns: ["/node_modules/", "<rootDir>/tests/host/", "<rootDir>/tests/tools/"],
  testEnvironmentOptions: { globalsCleanup: "off" },
};
