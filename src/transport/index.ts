export { BodyTooLargeError, createUndiciTransport } from './undici.js';
export type { UndiciTransport, UndiciTransportOptions } from './undici.js';
export type { HttpRequest, HttpResponse, Transport } from './types.js';
