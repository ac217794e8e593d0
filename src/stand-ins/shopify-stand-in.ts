import Fastify, { type FastifyInstance } from 'fastify';
import {
  buildSchema,
  execute,
  getNamedType,
  GraphQLError,
  isLeafType,
  isObjectType,
  Kind,
  OperationTypeNode,
  parse,
  validate,
  type DocumentNode,
  type GraphQLObjectType,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { SHOPIFY_ADMIN_SDL, SHOPIFY_ADMIN_SDL_VERSION } from './shopify-admin-schema.ts';
import {
  checkoutAt,
  checkoutTime,
  customerAt,
  orderAt,
  orderTime,
  type ShopDataSpec,
} from './shopify-shop-data.ts';

/** Scopes the default token holds: the ones `reclaim shopify connect` needs. */
const DEFAULT_SCOPES = ['read_orders', 'read_customers', 'write_pixels', 'read_customer_events'] as const;

/** Scope each topic needs (webhooks reference); a topic missing here needs none. */
const TOPIC_SCOPES: Record<string, string> = {
  CARTS_CREATE: 'read_orders',
  CARTS_UPDATE: 'read_orders',
  CHECKOUTS_CREATE: 'read_orders',
  CHECKOUTS_UPDATE: 'read_orders',
  CHECKOUTS_DELETE: 'read_orders',
  ORDERS_CREATE: 'read_orders',
  ORDERS_PAID: 'read_orders',
  ORDERS_CANCELLED: 'read_orders',
  ORDERS_FULFILLED: 'read_orders',
  ORDERS_UPDATED: 'read_orders',
  CUSTOMERS_CREATE: 'read_customers',
  CUSTOMERS_UPDATE: 'read_customers',
  CUSTOMERS_DELETE: 'read_customers',
  CUSTOMERS_EMAIL_MARKETING_CONSENT_UPDATE: 'read_customers',
  CUSTOMERS_MARKETING_CONSENT_UPDATE: 'read_customers',
  PRODUCTS_CREATE: 'read_products',
  PRODUCTS_UPDATE: 'read_products',
};

/**
 * The settings definition of Reclaim's pixel extension (`extensions/reclaim-pixel/shopify.extension.toml`,
 * a test compares them): Shopify refuses `webPixelCreate`/`Update` settings that do not match it.
 */
export const PIXEL_SETTINGS_DEFINITION: Record<string, { type: 'single_line_text_field'; min?: number }> = {
  endpoint: { type: 'single_line_text_field', min: 8 },
};

/** Shopify's cost bucket for the GraphQL Admin API (https://shopify.dev/docs/api/usage/limits). */
export interface CostBucket {
  maximumAvailable: number;
  /** Points restored per second. */
  restoreRate: number;
}

export interface ShopifyStandInOptions {
  /** Access tokens and the scopes each was granted; default one token with Reclaim's scopes. */
  tokens?: Record<string, readonly string[]>;
  bucket?: CostBucket;
  clock?: () => number;
  /** The shop its bulk exports hold (default: empty, seed 1, as of the clock's start). */
  shopData?: Partial<ShopDataSpec>;
  /**
   * JSONL files whose records these exports hold instead of the generated shop's (the simulator's
   * customer base); an export without a file is empty. Records are projected onto the bulk query's
   * selection, and orders and abandoned checkouts filtered by its `created_at`, as Shopify would.
   */
  exportFiles?: Partial<Record<BulkRoot, string>>;
  /** The app whose OAuth install it answers (client id and secret); without it, OAuth refuses every client. */
  app?: { apiKey: string; apiSecret: string };
}

/** The root connections a bulk query may export, the scope each needs, and how its records are made. */
const BULK_ROOTS = {
  customers: { scope: 'read_customers' },
  orders: { scope: 'read_orders' },
  abandonedCheckouts: { scope: 'read_orders' },
} as const;
type BulkRoot = keyof typeof BULK_ROOTS;

interface BulkOperationState {
  id: string;
  status: 'CREATED' | 'RUNNING' | 'COMPLETED' | 'FAILED';
  errorCode: 'ACCESS_DENIED' | 'INTERNAL_SERVER_ERROR' | 'TIMEOUT' | null;
  query: string;
  root: BulkRoot;
  node: SelectionSetNode;
  since: number | undefined;
  denied: boolean;
  reads: number;
  objectCount: number;
  createdAt: string;
  completedAt: string | null;
}

export interface StoredSubscription {
  id: string;
  topic: string;
  uri: string;
  format: 'JSON' | 'XML';
  includeFields: string[];
  filter: string | null;
  createdAt: string;
  updatedAt: string;
}

const MUTATION_COST = 10;
const ACCESS_SCOPES_DOC = 'https://shopify.dev/api/usage/access-scopes';

/**
 * A local Shopify Admin GraphQL API that refuses what Shopify refuses: a wrong or missing access token
 * (401), any query that does not validate against the pinned version's schema (an unknown field is an
 * error, as on Shopify), fields the token's scopes do not reach (`ACCESS_DENIED`), queries beyond the
 * cost bucket (`THROTTLED` with `extensions.cost`), and the user errors of the webhook and web-pixel
 * mutations (invalid or non-https address, an address already taken for the topic, a topic outside the
 * scopes, settings that do not match the pixel's settings definition, a second pixel). It keeps the
 * subscriptions and the pixel it was given, for tests and for trying `reclaim shopify connect`.
 *
 * For `reclaim shopify import` it runs bulk operations over a generated shop (`shopify-shop-data.ts`):
 * one at a time, `CREATED` → `RUNNING` → `COMPLETED` as they are read, `FAILED` with `ACCESS_DENIED` when
 * the scopes do not reach the export, the JSONL served on loopback line by line. For the OAuth install it
 * answers the grant screen (approved at once, redirected with Shopify's HMAC) and the one-time code exchange.
 */
export class ShopifyStandIn {
  static readonly DEFAULT_TOKEN = 'shpat_reclaim_stand_in_token';
  static readonly SHOP = 'northwind-demo.myshopify.com';
  readonly #app: FastifyInstance;
  readonly #schema = buildSchema(SHOPIFY_ADMIN_SDL);
  readonly #tokens: Record<string, readonly string[]>;
  readonly #bucket: CostBucket;
  readonly #clock: () => number;
  /** Points available per token, and when that was last computed. */
  readonly #available = new Map<string, { points: number; at: number }>();
  readonly #subscriptions = new Map<string, StoredSubscription>();
  #pixel: { id: string; settings: Record<string, unknown> } | undefined;
  #nextId = 1;
  #url = '';
  readonly #bulk = new Map<string, BulkOperationState>();
  /** The shop the bulk exports hold. */
  readonly shopData: ShopDataSpec;
  readonly #exportFiles: Partial<Record<BulkRoot, string>> | undefined;
  /** Reads of a running bulk operation before it finishes (each read of it moves it on). */
  runningReads = 1;
  /** Makes the next bulk operations fail with this `errorCode`, as Shopify's do on its own errors. */
  bulkFailure: 'INTERNAL_SERVER_ERROR' | 'TIMEOUT' | undefined;
  /** Serves this 1-based line of every export of `root` cut short, as a broken download would be. */
  malformedLine: { root: BulkRoot; line: number } | undefined;
  /** Export lines served. */
  linesServed = 0;
  /** Authorization codes issued by the grant screen and not yet exchanged, with the scopes granted. */
  readonly #codes = new Map<string, string[]>();
  /** Code exchanges refused (wrong client, secret or code). */
  refusedExchanges = 0;
  /** Mutations that changed something (created, updated or deleted). */
  changes = 0;
  /** Requests answered `THROTTLED`. */
  throttled = 0;
  /** Operations executed (after authentication). */
  operations = 0;

  constructor(options: ShopifyStandInOptions = {}) {
    this.#tokens = { ...(options.tokens ?? { [ShopifyStandIn.DEFAULT_TOKEN]: DEFAULT_SCOPES }) };
    this.#bucket = options.bucket ?? { maximumAvailable: 1000, restoreRate: 50 };
    this.#clock = options.clock ?? Date.now;
    this.shopData = {
      customers: 0,
      orders: 0,
      checkouts: 0,
      seed: 1,
      asOf: Math.floor(this.#clock() / 86_400_000) * 86_400_000,
      ...options.shopData,
    };
    this.#exportFiles = options.exportFiles;
    this.#app = Fastify({ forceCloseConnections: true });
    const app = options.app;
    // The merchant's grant screen, approved at once: back to the app with a code and Shopify's HMAC.
    this.#app.get<{ Querystring: Record<string, string> }>('/admin/oauth/authorize', (req, reply) => {
      const { client_id: clientId, scope, redirect_uri: redirect, state } = req.query;
      if (!app || clientId !== app.apiKey || !redirect || !URL.canParse(redirect))
        return reply
          .status(400)
          .send('Oauth error invalid_request: The client_id or redirect_uri is not valid');
      const code = randomBytes(16).toString('hex');
      this.#codes.set(
        code,
        (scope ?? '').split(',').filter((s) => s.length > 0),
      );
      const query: Record<string, string> = {
        code,
        host: Buffer.from(`admin.shopify.com/store/${ShopifyStandIn.SHOP.split('.')[0]}`).toString(
          'base64url',
        ),
        shop: ShopifyStandIn.SHOP,
        state: state ?? '',
        timestamp: String(Math.floor(this.#clock() / 1000)),
      };
      const target = new URL(redirect);
      for (const [key, value] of Object.entries(query)) target.searchParams.set(key, value);
      target.searchParams.set('hmac', signQuery(query, app.apiSecret));
      return reply.redirect(target.toString(), 302);
    });
    this.#app.post<{ Body: Record<string, unknown> | undefined }>(
      '/admin/oauth/access_token',
      (req, reply) => {
        const body = req.body ?? {};
        const code = typeof body.code === 'string' ? body.code : '';
        const scopes = this.#codes.get(code);
        if (!app || body.client_id !== app.apiKey || body.client_secret !== app.apiSecret || !scopes) {
          this.refusedExchanges++;
          return reply.status(400).send({
            error: 'invalid_request',
            error_description: 'The authorization code was not found or was already used',
          });
        }
        this.#codes.delete(code);
        const token = `shpat_${randomBytes(16).toString('hex')}`;
        this.#tokens[token] = scopes;
        return { access_token: token, scope: scopes.join(',') };
      },
    );
    this.#app.get<{ Params: { id: string } }>('/_stand-in/bulk/:id', (req, reply) => {
      const op = this.#bulk.get(`gid://shopify/BulkOperation/${req.params.id.replace(/\.jsonl$/, '')}`);
      if (!op || op.status !== 'COMPLETED') return reply.status(404).send('NoSuchKey');
      return reply.type('application/jsonl').send(Readable.from(this.#exportLines(op)));
    });
    this.#app.post<{ Params: { version: string } }>(
      '/admin/api/:version/graphql.json',
      async (req, reply) => {
        if (!/^\d{4}-\d{2}$/.test(req.params.version) && req.params.version !== 'unstable')
          return reply.status(404).send({ errors: 'Not Found' });
        const token = req.headers['x-shopify-access-token'];
        const scopes =
          typeof token === 'string' && Object.hasOwn(this.#tokens, token) ? this.#tokens[token] : undefined;
        if (!scopes || typeof token !== 'string')
          return reply
            .status(401)
            .send({ errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' });
        const body = req.body as
          { query?: unknown; variables?: unknown; operationName?: unknown } | undefined;
        if (!body || typeof body.query !== 'string')
          return reply.status(400).send({ errors: { query: 'Required parameter missing or invalid' } });
        return this.#run(token, new Set(scopes), body.query, body.variables, body.operationName);
      },
    );
  }

  async start(port = 0): Promise<string> {
    this.#url = await this.#app.listen({ port, host: '127.0.0.1' });
    return this.#url;
  }

  get url(): string {
    return this.#url;
  }

  async close(): Promise<void> {
    await this.#app.close();
  }

  /** The subscriptions the store holds, oldest first. */
  get subscriptions(): StoredSubscription[] {
    return [...this.#subscriptions.values()];
  }

  get pixel(): { id: string; settings: Record<string, unknown> } | undefined {
    return this.#pixel;
  }

  /** Adds a subscription as another tool (or an earlier install) would have made it. */
  addSubscription(topic: string, uri: string, format: 'JSON' | 'XML' = 'JSON'): StoredSubscription {
    const now = new Date(this.#clock()).toISOString();
    const subscription: StoredSubscription = {
      id: `gid://shopify/WebhookSubscription/${this.#nextId++}`,
      topic,
      uri,
      format,
      includeFields: [],
      filter: null,
      createdAt: now,
      updatedAt: now,
    };
    this.#subscriptions.set(subscription.id, subscription);
    return subscription;
  }

  async #run(
    token: string,
    scopes: Set<string>,
    query: string,
    variables: unknown,
    operationName: unknown,
  ): Promise<unknown> {
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch (error) {
      return { errors: [{ message: (error as GraphQLError).message, extensions: { code: 'PARSE_ERROR' } }] };
    }
    const invalid = validate(this.#schema, document);
    if (invalid.length > 0) return { errors: invalid.map(asShopifyValidationError) };
    const operation = document.definitions.find(
      (d): d is OperationDefinitionNode =>
        d.kind === Kind.OPERATION_DEFINITION &&
        (typeof operationName !== 'string' || d.name?.value === operationName),
    );
    if (!operation) return { errors: [{ message: 'No operation named in the document' }] };
    const vars =
      typeof variables === 'object' && variables !== null ? (variables as Record<string, unknown>) : {};
    const requested = this.#cost(operation, vars);
    const status = this.#spend(token, requested);
    if (!status.ok) {
      this.throttled++;
      return {
        errors: [
          {
            message: 'Throttled',
            extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' },
          },
        ],
        extensions: {
          cost: { requestedQueryCost: requested, actualQueryCost: null, throttleStatus: status.throttle },
        },
      };
    }
    this.operations++;
    const result = await execute({
      schema: this.#schema,
      document,
      rootValue: this.#resolvers(scopes),
      variableValues: vars,
      ...(typeof operationName === 'string' ? { operationName } : {}),
    });
    return {
      ...(result.errors ? { errors: result.errors.map((e) => e.toJSON()) } : {}),
      data: result.data ?? null,
      extensions: {
        cost: { requestedQueryCost: requested, actualQueryCost: requested, throttleStatus: status.throttle },
      },
    };
  }

  /** Refills the token's bucket at the restore rate, then takes `cost` from it if it holds that much. */
  #spend(
    token: string,
    cost: number,
  ): {
    ok: boolean;
    throttle: { maximumAvailable: number; currentlyAvailable: number; restoreRate: number };
  } {
    const now = this.#clock();
    const { maximumAvailable, restoreRate } = this.#bucket;
    const last = this.#available.get(token) ?? { points: maximumAvailable, at: now };
    const points = Math.min(maximumAvailable, last.points + ((now - last.at) / 1000) * restoreRate);
    const ok = points >= cost;
    const left = ok ? points - cost : points;
    this.#available.set(token, { points: left, at: now });
    return { ok, throttle: { maximumAvailable, currentlyAvailable: Math.floor(left), restoreRate } };
  }

  /**
   * Requested cost as Shopify calculates it, in outline: an object costs 1, a scalar nothing, a
   * connection 2 plus `first` (or `last`) times what each node costs, a mutation 10.
   */
  #cost(operation: OperationDefinitionNode, vars: Record<string, unknown>): number {
    if (operation.operation === OperationTypeNode.MUTATION)
      return MUTATION_COST * operation.selectionSet.selections.length;
    const root = this.#schema.getQueryType()!;
    const objects = (
      set: SelectionSetNode | undefined,
      type: GraphQLObjectType,
      multiplier: number,
    ): number => {
      let total = 0;
      for (const selection of set?.selections ?? []) {
        if (selection.kind !== Kind.FIELD) continue;
        const fields = type.getFields();
        const field = Object.hasOwn(fields, selection.name.value) ? fields[selection.name.value] : undefined;
        if (!field) continue;
        const named = getNamedType(field.type);
        if (isLeafType(named) || !isObjectType(named)) continue;
        if (named.name.endsWith('Connection')) {
          const size = selection.arguments?.find((a) => a.name.value === 'first' || a.name.value === 'last');
          const count =
            size?.value.kind === Kind.INT
              ? Number(size.value.value)
              : size?.value.kind === Kind.VARIABLE
                ? Number(Object.hasOwn(vars, size.value.name.value) ? vars[size.value.name.value] : 0)
                : 0;
          total += multiplier * 2 + objects(selection.selectionSet, named, multiplier * count);
        } else if (named.name === 'PageInfo') {
          total += 0;
        } else {
          total += multiplier + objects(selection.selectionSet, named, multiplier);
        }
      }
      return total;
    };
    return Math.max(1, objects(operation.selectionSet, root, 1));
  }

  #resolvers(scopes: Set<string>): Record<string, unknown> {
    const has = (scope: string) =>
      scopes.has(scope) || (scope.startsWith('read_') && scopes.has(`write_${scope.slice(5)}`));
    const need = (field: string, ...required: string[]) => {
      const missing = required.filter((scope) => !has(scope));
      if (missing.length === 0) return;
      const requiredAccess = missing.map((s) => `\`${s}\` access scope`).join(' and ') + '.';
      throw new GraphQLError(`Access denied for ${field} field. Required access: ${requiredAccess}`, {
        extensions: { code: 'ACCESS_DENIED', documentation: ACCESS_SCOPES_DOC, requiredAccess },
      });
    };
    return {
      currentAppInstallation: () => ({
        id: 'gid://shopify/AppInstallation/1',
        accessScopes: [...scopes].map((handle) => ({ handle, description: handle })),
      }),
      bulkOperationRunQuery: ({ query }: { query: string }) => this.#startBulk(query, has),
      node: ({ id }: { id: string }) => {
        const op = this.#bulk.get(id);
        return op ? { __typename: 'BulkOperation', ...this.#bulkView(op) } : null;
      },
      currentBulkOperation: () => {
        const op = [...this.#bulk.values()].at(-1);
        return op ? this.#bulkView(op) : null;
      },
      webhookSubscriptions: (args: { first?: number; last?: number; after?: string; topics?: string[] }) => {
        if (args.first === undefined && args.last === undefined)
          throw new GraphQLError('you must provide one of first or last');
        const all = this.subscriptions
          .filter((s) => !args.topics || args.topics.includes(s.topic))
          .map((s) => this.#subscriptionView(s));
        const start = args.after ? all.findIndex((s) => s.id === args.after) + 1 : 0;
        const page = all.slice(start, start + (args.first ?? args.last ?? 0));
        return {
          nodes: page,
          edges: page.map((node) => ({ cursor: node.id, node })),
          pageInfo: {
            hasNextPage: start + page.length < all.length,
            hasPreviousPage: start > 0,
            startCursor: page[0]?.id ?? null,
            endCursor: page.at(-1)?.id ?? null,
          },
        };
      },
      webhookSubscription: ({ id }: { id: string }) => {
        const found = this.#subscriptions.get(id);
        return found ? this.#subscriptionView(found) : null;
      },
      webPixel: () => {
        need('webPixel', 'read_pixels');
        if (!this.#pixel)
          throw new GraphQLError('No web pixel was found for this app.', {
            extensions: { code: 'RESOURCE_NOT_FOUND' },
          });
        return this.#pixel;
      },
      webhookSubscriptionCreate: ({
        topic,
        webhookSubscription,
      }: {
        topic: string;
        webhookSubscription: SubscriptionInput;
      }) => {
        const errors = this.#checkSubscription(topic, webhookSubscription, has);
        if (errors.length > 0) return { userErrors: errors, webhookSubscription: null };
        const created = this.addSubscription(
          topic,
          webhookSubscription.uri!,
          webhookSubscription.format ?? 'JSON',
        );
        created.includeFields = webhookSubscription.includeFields ?? [];
        created.filter = webhookSubscription.filter ?? null;
        this.changes++;
        return { userErrors: [], webhookSubscription: this.#subscriptionView(created) };
      },
      webhookSubscriptionUpdate: ({
        id,
        webhookSubscription,
      }: {
        id: string;
        webhookSubscription: SubscriptionInput;
      }) => {
        const current = this.#subscriptions.get(id);
        if (!current)
          return {
            userErrors: [{ field: ['id'], message: 'Webhook subscription does not exist' }],
            webhookSubscription: null,
          };
        const input = { ...webhookSubscription, uri: webhookSubscription.uri ?? current.uri };
        const errors = this.#checkSubscription(current.topic, input, has, id);
        if (errors.length > 0) return { userErrors: errors, webhookSubscription: null };
        current.uri = input.uri;
        if (input.format) current.format = input.format;
        if (input.includeFields) current.includeFields = input.includeFields;
        if (input.filter !== undefined) current.filter = input.filter;
        current.updatedAt = new Date(this.#clock()).toISOString();
        this.changes++;
        return { userErrors: [], webhookSubscription: this.#subscriptionView(current) };
      },
      webhookSubscriptionDelete: ({ id }: { id: string }) => {
        if (!this.#subscriptions.delete(id))
          return {
            deletedWebhookSubscriptionId: null,
            userErrors: [{ field: ['id'], message: 'Webhook subscription does not exist' }],
          };
        this.changes++;
        return { deletedWebhookSubscriptionId: id, userErrors: [] };
      },
      webPixelCreate: ({ webPixel }: { webPixel: { settings: unknown } }) => {
        need('webPixelCreate', 'write_pixels', 'read_customer_events');
        if (this.#pixel)
          return {
            userErrors: [{ code: 'TAKEN', field: ['webPixel'], message: 'Web pixel is taken.' }],
            webPixel: null,
          };
        const settings = checkPixelSettings(webPixel.settings);
        if ('error' in settings) return { userErrors: [settings.error], webPixel: null };
        this.#pixel = { id: `gid://shopify/WebPixel/${this.#nextId++}`, settings: settings.value };
        this.changes++;
        return { userErrors: [], webPixel: this.#pixel };
      },
      webPixelUpdate: ({ id, webPixel }: { id: string; webPixel: { settings: unknown } }) => {
        need('webPixelUpdate', 'write_pixels', 'read_customer_events');
        if (!this.#pixel || this.#pixel.id !== id)
          return {
            userErrors: [{ code: 'NOT_FOUND', field: ['id'], message: 'Web pixel not found.' }],
            webPixel: null,
          };
        const settings = checkPixelSettings(webPixel.settings);
        if ('error' in settings) return { userErrors: [settings.error], webPixel: null };
        this.#pixel.settings = settings.value;
        this.changes++;
        return { userErrors: [], webPixel: this.#pixel };
      },
      webPixelDelete: ({ id }: { id: string }) => {
        need('webPixelDelete', 'write_pixels');
        if (!this.#pixel || this.#pixel.id !== id)
          return {
            deletedWebPixelId: null,
            userErrors: [{ code: 'NOT_FOUND', field: ['id'], message: 'Web pixel not found.' }],
          };
        this.#pixel = undefined;
        this.changes++;
        return { deletedWebPixelId: id, userErrors: [] };
      },
    };
  }

  /**
   * `bulkOperationRunQuery`: the query must validate against the schema and export one of the known root
   * connections; one bulk query runs at a time per app and shop. A field the scopes do not reach does not
   * refuse the mutation: the operation fails with `ACCESS_DENIED`, as Shopify's does.
   */
  #startBulk(query: string, has: (scope: string) => boolean) {
    const invalid = (message: string) => ({
      bulkOperation: null,
      userErrors: [{ code: 'INVALID', field: ['query'], message }],
    });
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch (error) {
      return invalid(`Invalid bulk query: ${(error as GraphQLError).message}`);
    }
    const errors = validate(this.#schema, document);
    if (errors.length > 0)
      return invalid(
        `Invalid bulk query: ${errors.map((e) => String(asShopifyValidationError(e).message)).join('; ')}`,
      );
    const operation = document.definitions.find(
      (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
    );
    const fields = (operation?.selectionSet.selections ?? []).filter((s) => s.kind === Kind.FIELD);
    const root = fields[0];
    if (operation?.operation !== OperationTypeNode.QUERY || fields.length !== 1 || !root)
      return invalid('Invalid bulk query: it must select exactly one connection at the root');
    const name = root.name.value;
    if (!Object.hasOwn(BULK_ROOTS, name))
      return invalid(
        `Invalid bulk query: the stand-in exports customers, orders and abandonedCheckouts only`,
      );
    const edges = root.selectionSet?.selections.find(
      (s) => s.kind === Kind.FIELD && s.name.value === 'edges',
    );
    const node =
      edges?.kind === Kind.FIELD
        ? edges.selectionSet?.selections.find((s) => s.kind === Kind.FIELD && s.name.value === 'node')
        : root.selectionSet?.selections.find((s) => s.kind === Kind.FIELD && s.name.value === 'nodes');
    if (node?.kind !== Kind.FIELD || !node.selectionSet)
      return invalid('Invalid bulk query: select the connection’s edges { node { … } }');
    const running = [...this.#bulk.values()].find((op) => op.status === 'CREATED' || op.status === 'RUNNING');
    if (running)
      return {
        bulkOperation: null,
        userErrors: [
          {
            code: 'OPERATION_IN_PROGRESS',
            field: null,
            message: `A bulk query operation for this app and shop is already in progress: ${running.id}.`,
          },
        ],
      };
    const filter = root.arguments?.find((a) => a.name.value === 'query');
    const text = filter?.value.kind === Kind.STRING ? filter.value.value : '';
    const after = /created_at:>=?\s*['"]?([0-9T:.Z+-]+)/.exec(text);
    const since = after ? Date.parse(after[1]!) : undefined;
    const nested = JSON.stringify(node.selectionSet).includes('"value":"customer"');
    const bulkRoot = name as BulkRoot;
    const op: BulkOperationState = {
      id: `gid://shopify/BulkOperation/${this.#nextId++}`,
      status: 'CREATED',
      errorCode: null,
      query,
      root: bulkRoot,
      node: node.selectionSet,
      since: Number.isFinite(since) ? since : undefined,
      denied: !has(BULK_ROOTS[bulkRoot].scope) || (nested && !has('read_customers')),
      reads: 0,
      objectCount: 0,
      createdAt: new Date(this.#clock()).toISOString(),
      completedAt: null,
    };
    this.#bulk.set(op.id, op);
    return { bulkOperation: this.#bulkView(op, false), userErrors: [] };
  }

  /** What a read of the operation shows; reading moves it on: CREATED → RUNNING → COMPLETED or FAILED. */
  #bulkView(op: BulkOperationState, advance = true) {
    if (advance && op.status === 'CREATED') op.status = 'RUNNING';
    else if (advance && op.status === 'RUNNING' && ++op.reads >= this.runningReads) {
      op.completedAt = new Date(this.#clock()).toISOString();
      if (op.denied || this.bulkFailure) {
        op.status = 'FAILED';
        op.errorCode = op.denied ? 'ACCESS_DENIED' : this.bulkFailure!;
      } else {
        op.status = 'COMPLETED';
        op.objectCount = this.#count(op);
      }
    }
    const done = op.status === 'COMPLETED' && op.objectCount > 0;
    return {
      id: op.id,
      status: op.status,
      errorCode: op.errorCode,
      objectCount: String(op.objectCount),
      rootObjectCount: String(op.objectCount),
      fileSize: null,
      url: done ? `${this.#url}/_stand-in/bulk/${op.id.split('/').at(-1)}.jsonl` : null,
      partialDataUrl: null,
      query: op.query,
      type: 'QUERY',
      createdAt: op.createdAt,
      completedAt: op.completedAt,
    };
  }

  /** The records of an export read from its file, oldest filter applied; undefined without files. */
  #fileRecords(op: BulkOperationState): Record<string, unknown>[] | undefined {
    if (!this.#exportFiles) return undefined;
    const file = this.#exportFiles[op.root];
    if (!file) return [];
    const since = op.since ?? -Infinity;
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((r) => op.root === 'customers' || Date.parse(String(r.createdAt)) >= since);
  }

  #count(op: BulkOperationState): number {
    const fromFile = this.#fileRecords(op);
    if (fromFile) return fromFile.length;
    const spec = this.shopData;
    if (op.root === 'customers') return spec.customers;
    const since = op.since ?? -Infinity;
    const total = op.root === 'orders' ? spec.orders : spec.checkouts;
    const at = op.root === 'orders' ? orderTime : checkoutTime;
    let count = 0;
    for (let i = 0; i < total; i++) if (at(spec, i) >= since) count++;
    return count;
  }

  /** The export as JSONL, made record by record and handed on in chunks, never held whole. */
  *#exportLines(op: BulkOperationState): Generator<string> {
    let chunk: string[] = [];
    let line = 0;
    for (const record of this.#fileRecords(op) ?? this.#generatedRecords(op)) {
      line++;
      const json = JSON.stringify(project(record, op.node));
      const broken = this.malformedLine?.root === op.root && this.malformedLine.line === line;
      chunk.push(broken ? json.slice(0, Math.floor(json.length / 2)) : json);
      this.linesServed++;
      if (chunk.length === 1_000) {
        yield `${chunk.join('\n')}\n`;
        chunk = [];
      }
    }
    if (chunk.length > 0) yield `${chunk.join('\n')}\n`;
  }

  *#generatedRecords(op: BulkOperationState): Generator<Record<string, unknown>> {
    const spec = this.shopData;
    const since = op.since ?? -Infinity;
    const total =
      op.root === 'customers' ? spec.customers : op.root === 'orders' ? spec.orders : spec.checkouts;
    for (let i = 0; i < total; i++) {
      if (op.root === 'orders' && orderTime(spec, i) < since) continue;
      if (op.root === 'abandonedCheckouts' && checkoutTime(spec, i) < since) continue;
      yield op.root === 'customers'
        ? customerAt(spec, i)
        : op.root === 'orders'
          ? orderAt(spec, i)
          : checkoutAt(spec, i, ShopifyStandIn.SHOP);
    }
  }

  #subscriptionView(s: StoredSubscription) {
    return {
      ...s,
      metafieldNamespaces: [],
      apiVersion: {
        handle: SHOPIFY_ADMIN_SDL_VERSION,
        displayName: SHOPIFY_ADMIN_SDL_VERSION,
        supported: true,
      },
    };
  }

  #checkSubscription(
    topic: string,
    input: SubscriptionInput,
    has: (scope: string) => boolean,
    updating?: string,
  ): { field: string[]; message: string }[] {
    const scope = Object.hasOwn(TOPIC_SCOPES, topic) ? TOPIC_SCOPES[topic] : undefined;
    if (scope && !has(scope))
      return [
        {
          field: ['webhookSubscription'],
          message: 'You cannot create a webhook subscription with the specified topic',
        },
      ];
    const uri = input.uri;
    if (!uri) return [{ field: ['webhookSubscription', 'uri'], message: "Address can't be blank" }];
    if (/^(pubsub:\/\/|arn:aws:events:)/.test(uri)) return [];
    if (!URL.canParse(uri)) return [{ field: ['webhookSubscription', 'uri'], message: 'Address is invalid' }];
    const parsed = new URL(uri);
    if (parsed.protocol !== 'https:')
      return [
        {
          field: ['webhookSubscription', 'uri'],
          message: `Address protocol ${parsed.protocol}// is not supported`,
        },
      ];
    const taken = this.subscriptions.some((s) => s.topic === topic && s.uri === uri && s.id !== updating);
    if (taken)
      return [
        { field: ['webhookSubscription', 'uri'], message: 'Address for this topic has already been taken' },
      ];
    return [];
  }
}

/** Shopify's HMAC of a redirect's query: the other parameters sorted, URL-encoded, HMAC-SHA256 in hex. */
export function signQuery(query: Record<string, string>, secret: string): string {
  const sorted = new URLSearchParams();
  for (const [key, value] of Object.entries(query).sort(([a], [b]) => a.localeCompare(b)))
    sorted.append(key, value);
  return createHmac('sha256', secret).update(sorted.toString()).digest('hex');
}

/** The fields a selection set names, as a bulk export writes them (a field without a value is null). */
function project(value: Record<string, unknown>, set: SelectionSetNode): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const selection of set.selections) {
    if (selection.kind !== Kind.FIELD || selection.name.value === '__typename') continue;
    const field = Object.hasOwn(value, selection.name.value) ? value[selection.name.value] : null;
    out[selection.alias?.value ?? selection.name.value] =
      selection.selectionSet && field !== null && typeof field === 'object'
        ? project(field as Record<string, unknown>, selection.selectionSet)
        : (field ?? null);
  }
  return out;
}

interface SubscriptionInput {
  uri?: string;
  format?: 'JSON' | 'XML';
  includeFields?: string[];
  filter?: string | null;
}

type PixelUserError = { code: string; field: string[]; message: string };

/** The settings must be a JSON object (or JSON text of one) holding exactly the defined fields, valid. */
function checkPixelSettings(raw: unknown): { value: Record<string, unknown> } | { error: PixelUserError } {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return {
        error: {
          code: 'INVALID_CONFIGURATION_JSON',
          field: ['webPixel', 'settings'],
          message: 'Settings are not valid JSON.',
        },
      };
    }
  }
  const invalid = (message: string) => ({
    error: { code: 'INVALID_SETTINGS', field: ['webPixel', 'settings'], message },
  });
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return invalid('Settings must be an object matching the settings definition.');
  const settings = value as Record<string, unknown>;
  for (const key of Object.keys(settings))
    if (!Object.hasOwn(PIXEL_SETTINGS_DEFINITION, key)) return invalid(`Unknown setting: ${key}.`);
  for (const [key, definition] of Object.entries(PIXEL_SETTINGS_DEFINITION)) {
    const field = Object.hasOwn(settings, key) ? settings[key] : undefined;
    if (typeof field !== 'string' || field.includes('\n'))
      return invalid(`Setting ${key} must be a single line of text.`);
    if (definition.min !== undefined && field.length < definition.min)
      return invalid(`Setting ${key} must be at least ${definition.min} characters.`);
  }
  return { value: settings };
}

/**
 * Shopify's GraphQL server (GraphQL Ruby) words an unknown field as "Field 'x' doesn't exist on type 'Y'"
 * with `extensions.code` `undefinedField`; other validation errors keep graphql-js's wording.
 */
function asShopifyValidationError(error: GraphQLError): Record<string, unknown> {
  const unknown = /^Cannot query field "(\w+)" on type "(\w+)"/.exec(error.message);
  if (!unknown) return { ...error.toJSON() };
  const [, fieldName, typeName] = unknown;
  return {
    message: `Field '${fieldName}' doesn't exist on type '${typeName}'`,
    locations: error.locations,
    extensions: { code: 'undefinedField', typeName, fieldName },
  };
}
