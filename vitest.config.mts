import { defineConfig } from "vitest/config";

// Two projects: `unit` runs the program under Pulumi mocks and pure functions (fast, no processes);
// `integration` starts real etcd, nginx, haproxy and Docker containers, so its files run one at a time.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          // Unit files share a worker's module registry: they hold no process state of their own (program runs
          // reset modules themselves, components set their mocks in beforeAll), and isolation tripled the time.
          isolate: false,
          include: ["**/*.test.ts"],
          exclude: ["node_modules/**", "build/**", "test/integration/**", "test/e2e/**", "policy/node_modules/**"],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts", "test/e2e/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
