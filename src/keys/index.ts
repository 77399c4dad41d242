export { loadBaseUrl, loadKeys, readEnv } from './env.js';
export type { Env, EnvKey } from './env.js';
