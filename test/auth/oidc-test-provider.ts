import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { type Adapter, type AdapterPayload } from 'oidc-provider';

export const AUDIENCE = 'https://api.playtime.test';
export const CLIENT_ID = 'living-room-tv';
const CLIENT_SECRET = 'living-room-tv-secret-0123456789abcdef';
/** One resource indicator per signing algorithm; both have the service's audience. */
const RESOURCES = { ES256: 'urn:playtime:es256', RS256: 'urn:playtime:rs256' } as const;

export type SigningAlg = keyof typeof RESOURCES;

/** Storage for what the provider keeps between requests (the client credentials grant keeps next to nothing). */
class MapAdapter implements Adapter {
  private static readonly store = new Map<string, AdapterPayload>();
  constructor(private readonly model: string) {}
  private key(id: string) {
    return `${this.model}:${id}`;
  }
  async upsert(id: string, payload: AdapterPayload) {
    MapAdapter.store.set(this.key(id), payload);
  }
  async find(id: string) {
    return MapAdapter.store.get(this.key(id));
  }
  async findByUid() {
    return undefined;
  }
  async findByUserCode() {
    return undefined;
  }
  async consume() {}
  async destroy(id: string) {
    MapAdapter.store.delete(this.key(id));
  }
  async revokeByGrantId() {}
}

/** A private signing key as a provider publishes it (the public half goes to its JWKS). */
export async function signingKey(alg: SigningAlg, kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
}

/**
 * A real OpenID provider (`oidc-provider`) on 127.0.0.1: client credentials grant, RFC 9068 JWT
 * access tokens through resource indicators. `rotate()` swaps in a provider with another key set
 * at the same issuer and JWKS URL, as a provider rotating its keys does; `stop()` takes it down.
 */
export class OidcTestProvider {
  /** Requests to the JWKS endpoint: how often the service fetched the keys. */
  jwksRequests = 0;
  private handler!: (req: IncomingMessage, res: ServerResponse) => void;

  private constructor(
    private readonly server: Server,
    readonly issuer: string,
  ) {}

  static async start(keys: JWK[]): Promise<OidcTestProvider> {
    const holder: { current?: OidcTestProvider } = {};
    const server = createServer((req, res) => {
      if (req.url?.startsWith('/jwks')) holder.current!.jwksRequests++;
      holder.current!.handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const current = (holder.current = new OidcTestProvider(server, `http://127.0.0.1:${port}`));
    current.rotate(keys);
    return current;
  }

  get jwksUrl(): string {
    return `${this.issuer}/jwks`;
  }

  /** Serves `keys` from now on; the first key of each algorithm signs new tokens. */
  rotate(keys: JWK[]): void {
    const provider = new Provider(this.issuer, {
      clients: [
        { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, grant_types: ['client_credentials'], redirect_uris: [], response_types: [] },
      ],
      jwks: { keys },
      adapter: MapAdapter,
      ttl: { ClientCredentials: 600 },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => RESOURCES.ES256,
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx, resource) => ({
            scope: 'playtime',
            audience: AUDIENCE,
            accessTokenFormat: 'jwt',
            accessTokenTTL: 600,
            jwt: { sign: { alg: resource === RESOURCES.RS256 ? 'RS256' : 'ES256' } },
          }),
        },
      },
    });
    this.handler = provider.callback();
  }

  /** An access token from the token endpoint (client credentials grant). */
  async token(alg: SigningAlg = 'ES256'): Promise<string> {
    const res = await fetch(`${this.issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: RESOURCES[alg], scope: 'playtime' }),
    });
    const body = (await res.json()) as { access_token?: string };
    if (!res.ok || !body.access_token) throw new Error(`token request failed: ${res.status} ${JSON.stringify(body)}`);
    return body.access_token;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
