/** The identity service as its own process (see runService for its settings). */
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import { defineService, runService } from "@todo/platform";
import { createAuthService } from "./identity-service";
import { createIdentityStore, migrateIdentity } from "./store";
import { authValidators } from "./validation";

await runService("identity", {
  migrate: migrateIdentity,
  build: async ({ sql, tokens }) => {
    return {
      services: [
        defineService(
          AuthService,
          createAuthService({ store: createIdentityStore(sql), tokens }),
          authValidators,
        ),
      ],
      publicMethods: ["todo.identity.v1.AuthService.SignUp", "todo.identity.v1.AuthService.SignIn"],
    };
  },
});
