/** The identity service as its own process (see runService for its settings). */
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import { defineService, runService } from "@todo/platform";
import { trustedProxyHopsFromEnv } from "@todo/platform/serving";
import { createAuthService, createIdentitySessionCheck } from "./identity-service";
import { AUTH_PUBLIC_METHODS } from "./public-methods";
import { createRateLimiter, rateLimitSettingsFromEnv } from "./rate-limit";
import { createIdentityStore, migrateIdentity } from "./store";
import { authValidators } from "./validation";

await runService("identity", {
  migrate: migrateIdentity,
  // Identity owns the sessions: it checks tokens against its own tables, not through a client.
  sessionCheck: (sql) => createIdentitySessionCheck(createIdentityStore(sql)),
  build: async ({ sql, tokens }) => {
    const settings = rateLimitSettingsFromEnv();
    return {
      services: [
        defineService(
          AuthService,
          createAuthService({
            store: createIdentityStore(sql),
            tokens,
            limits: { limiter: createRateLimiter(sql, settings), settings },
            trustedProxyHops: trustedProxyHopsFromEnv(),
          }),
          authValidators,
        ),
      ],
      publicMethods: AUTH_PUBLIC_METHODS,
    };
  },
});
