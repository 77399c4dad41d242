import { createHash } from 'node:crypto';

/**
 * Names in Redis. An API key is known by `keyId`, a hash of provider, base URL and secret: never
 * the secret nor anything it can be recovered from (a truncated SHA-256 of it), yet the same for
 * every instance holding that key, whatever name each gives it.
 */
export function keyId(provider: string, baseUrl: string, secret: string): string {
  return createHash('sha256').update(`switchboard-key\0${provider}\0${baseUrl}\0${secret}`).digest('hex').slice(0, 24);
}

/** The provider endpoint (provider + base URL) a breaker and its instances belong to. */
export function endpointId(provider: string, baseUrl: string): string {
  return createHash('sha256').update(`switchboard-endpoint\0${provider}\0${baseUrl}`).digest('hex').slice(0, 16);
}

/** Every Redis key of one API key's state, under one hash tag (one Redis Cluster slot). */
export interface KeyNames {
  id: string;
  state: string;
  leases: string;
}

export function keyNames(namespace: string, provider: string, id: string): KeyNames {
  const tag = `{${namespace}:${provider}:${id}}`;
  return { id, state: `${tag}:state`, leases: `${tag}:leases` };
}

/** The endpoint's breaker, probe leases and heartbeats: their own hash tag, never an API key's. */
export interface EndpointNames {
  breaker: string;
  probes: string;
  instances: string;
  /** The Pub/Sub channel of the endpoint's breaker and key events (a channel is not a key). */
  channel: string;
}

export function endpointNames(namespace: string, provider: string, id: string): EndpointNames {
  const tag = `{${namespace}:${provider}:ep-${id}}`;
  return { breaker: `${tag}:breaker`, probes: `${tag}:probes`, instances: `${tag}:instances`, channel: `${namespace}:${provider}:ep-${id}:events` };
}
