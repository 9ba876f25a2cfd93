/** The identity service: accounts and access tokens. */
export { createAuthService, type IdentityServiceDeps } from "./identity-service";
export { createIdentityStore, migrateIdentity, type IdentityStore } from "./store";
export { authValidators } from "./validation";
