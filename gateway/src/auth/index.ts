export { type ApiKey, type Scope, SCOPES, parseApiKeys } from './api-keys.ts';
export {
  ANONYMOUS,
  type AuthOptions,
  type Authenticator,
  type Credentials,
  type JwtOptions,
  type Principal,
  createAuthenticator,
  readJwtKeyFiles,
} from './authenticator.ts';
export { AuthCode, AuthError } from './errors.ts';
export { credentialsOf, requireScope } from './http.ts';
export { checkScope, requiredScope, scopePlugin } from './scopes.ts';
