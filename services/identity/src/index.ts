/** The identity service: accounts and access tokens. */
export { createAuthService, type IdentityServiceDeps } from "./identity-service";
export { createIdentityStore, type IdentityStore, migrateIdentity } from "./store";
export { authValidators } from "./validation";
