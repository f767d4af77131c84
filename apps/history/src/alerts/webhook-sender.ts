import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { webhookAddressProblem, webhookUrlProblem } from '@auren/alerts';

/** A webhook the receiver's address refused: not retried. */
export class WebhookRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookRefused';
  }
}

/** The receiver answered: `status` (2xx: delivered). */
export interface WebhookAnswer {
  status: number;
}

/**
 * POSTs `body` to a webhook and resolves with the answer's status (any status: the caller
 * decides), or rejects on a network error or after `timeoutMs` (the whole exchange).
 * The address is checked after DNS resolution, and the connection goes to the checked address
 * (a host that resolves to a link-local or metadata address, or to a private one when those are
 * not allowed, is refused: {@link WebhookRefused}). Redirects are not followed.
 */
export function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: { timeoutMs: number; allowPrivate: boolean },
): Promise<WebhookAnswer> {
  const problem = webhookUrlProblem(url, { allowPrivate: options.allowPrivate });
  if (problem) return Promise.reject(new WebhookRefused(problem));
  const target = new URL(url);
  let refused: string | undefined;
  const lookup = (
    hostname: string,
    lookupOptions: object,
    callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    dnsLookup(hostname, { ...lookupOptions, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const list = addresses;
      const allowed = list.filter(
        (a) => !webhookAddressProblem(a.address, { allowPrivate: options.allowPrivate }),
      );
      if (allowed.length === 0) {
        refused = list.length
          ? `${hostname} resolves to ${list[0].address}: ${webhookAddressProblem(list[0].address, { allowPrivate: options.allowPrivate })}`
          : `${hostname} does not resolve`;
        return callback(new WebhookRefused(refused), []);
      }
      const all = (lookupOptions as { all?: boolean }).all;
      if (all) return callback(null, allowed);
      callback(null, allowed[0].address, allowed[0].family);
    });
  };
  const literal = target.hostname.replace(/^\[|\]$/g, '');
  if (isIP(literal)) {
    const addressProblem = webhookAddressProblem(literal, {
      allowPrivate: options.allowPrivate,
    });
    if (addressProblem) return Promise.reject(new WebhookRefused(addressProblem));
  }
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<WebhookAnswer>((resolve, reject) => {
    const req = send(
      target,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'auren-alerts',
          ...headers,
        },
        lookup: lookup,
        timeout: options.timeoutMs,
      },
      (res) => {
        // The answer's body is read and dropped (bounded by the timeout).
        res.on('data', () => undefined);
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0 });
        });
        res.on('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
      },
    );
    const timer = setTimeout(
      () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(refused ? new WebhookRefused(refused) : error);
    });
    req.end(body);
  });
}
