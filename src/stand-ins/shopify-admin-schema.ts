/**
 * The part of Shopify's Admin GraphQL schema (version 2025-10) that Reclaim uses, written from the
 * reference pages under https://shopify.dev/docs/api/admin-graphql/2025-10: queries
 * `currentAppInstallation`, `webhookSubscriptions`, `webPixel`; mutations `webhookSubscriptionCreate`,
 * `webhookSubscriptionUpdate`, `webhookSubscriptionDelete`, `webPixelCreate`, `webPixelUpdate`,
 * `webPixelDelete`, and the types they return; for the day-one import `bulkOperationRunQuery`, `node`,
 * `currentBulkOperation` and the `customers`, `orders` and `abandonedCheckouts` connections with the fields
 * Reclaim reads (https://shopify.dev/docs/api/usage/bulk-operations/queries). Fields left out here are refused by the stand-in as an
 * unknown field would be by Shopify, so add a field here (from the reference) before Reclaim uses it.
 * The topic enum lists the values Reclaim uses and a few others; the compliance topics are not values
 * of it in Shopify's schema either.
 */
/** The Admin API version this schema subset was written from. */
export const SHOPIFY_ADMIN_SDL_VERSION = '2025-10';

export const SHOPIFY_ADMIN_SDL = /* GraphQL */ `
  scalar JSON
  scalar DateTime
  scalar URL

  type Query {
    currentAppInstallation: AppInstallation!
    webhookSubscriptions(
      first: Int
      after: String
      last: Int
      before: String
      reverse: Boolean
      topics: [WebhookSubscriptionTopic!]
      format: WebhookSubscriptionFormat
      uri: String
      query: String
    ): WebhookSubscriptionConnection!
    webhookSubscription(id: ID!): WebhookSubscription
    webPixel(id: ID): WebPixel
    node(id: ID!): Node
    currentBulkOperation(type: BulkOperationType): BulkOperation
    customers(
      first: Int
      after: String
      last: Int
      before: String
      query: String
      reverse: Boolean
    ): CustomerConnection!
    orders(
      first: Int
      after: String
      last: Int
      before: String
      query: String
      reverse: Boolean
    ): OrderConnection!
    abandonedCheckouts(
      first: Int
      after: String
      last: Int
      before: String
      query: String
      reverse: Boolean
    ): AbandonedCheckoutConnection!
  }

  type Mutation {
    webhookSubscriptionCreate(
      topic: WebhookSubscriptionTopic!
      webhookSubscription: WebhookSubscriptionInput!
    ): WebhookSubscriptionCreatePayload
    webhookSubscriptionUpdate(
      id: ID!
      webhookSubscription: WebhookSubscriptionInput!
    ): WebhookSubscriptionUpdatePayload
    webhookSubscriptionDelete(id: ID!): WebhookSubscriptionDeletePayload
    webPixelCreate(webPixel: WebPixelInput!): WebPixelCreatePayload
    webPixelUpdate(id: ID!, webPixel: WebPixelInput!): WebPixelUpdatePayload
    webPixelDelete(id: ID!): WebPixelDeletePayload
    bulkOperationRunQuery(query: String!, groupObjects: Boolean): BulkOperationRunQueryPayload
  }

  interface Node {
    id: ID!
  }

  scalar UnsignedInt64
  scalar Decimal

  enum BulkOperationStatus {
    CANCELED
    CANCELING
    COMPLETED
    CREATED
    EXPIRED
    FAILED
    RUNNING
  }

  enum BulkOperationErrorCode {
    ACCESS_DENIED
    INTERNAL_SERVER_ERROR
    TIMEOUT
  }

  enum BulkOperationType {
    MUTATION
    QUERY
  }

  type BulkOperation implements Node {
    id: ID!
    status: BulkOperationStatus!
    errorCode: BulkOperationErrorCode
    objectCount: UnsignedInt64!
    rootObjectCount: UnsignedInt64!
    fileSize: UnsignedInt64
    url: URL
    partialDataUrl: URL
    query: String!
    type: BulkOperationType!
    createdAt: DateTime!
    completedAt: DateTime
  }

  enum BulkOperationUserErrorCode {
    INVALID
    OPERATION_IN_PROGRESS
  }

  type BulkOperationUserError {
    code: BulkOperationUserErrorCode
    field: [String!]
    message: String!
  }

  type BulkOperationRunQueryPayload {
    bulkOperation: BulkOperation
    userErrors: [BulkOperationUserError!]!
  }

  enum CustomerEmailMarketingState {
    INVALID
    NOT_SUBSCRIBED
    PENDING
    REDACTED
    SUBSCRIBED
    UNSUBSCRIBED
  }

  enum CustomerSmsMarketingState {
    NOT_SUBSCRIBED
    PENDING
    REDACTED
    SUBSCRIBED
    UNSUBSCRIBED
  }

  enum CustomerMarketingOptInLevel {
    CONFIRMED_OPT_IN
    SINGLE_OPT_IN
    UNKNOWN
  }

  enum CustomerConsentCollectedFrom {
    OTHER
    SHOPIFY
  }

  type CustomerEmailMarketingConsentState {
    marketingState: CustomerEmailMarketingState!
    marketingOptInLevel: CustomerMarketingOptInLevel
    consentUpdatedAt: DateTime
  }

  type CustomerSmsMarketingConsentState {
    marketingState: CustomerSmsMarketingState!
    marketingOptInLevel: CustomerMarketingOptInLevel!
    consentUpdatedAt: DateTime
    consentCollectedFrom: CustomerConsentCollectedFrom
  }

  # Shopify types countryCodeV2 as the CountryCode enum; the subset keeps it a string.
  type MailingAddress {
    countryCodeV2: String
    provinceCode: String
  }

  type Customer implements Node {
    id: ID!
    email: String
    phone: String
    createdAt: DateTime!
    updatedAt: DateTime!
    emailMarketingConsent: CustomerEmailMarketingConsentState
    smsMarketingConsent: CustomerSmsMarketingConsentState
    defaultAddress: MailingAddress
  }

  type CustomerEdge {
    cursor: String!
    node: Customer!
  }

  type CustomerConnection {
    edges: [CustomerEdge!]!
    nodes: [Customer!]!
    pageInfo: PageInfo!
  }

  type MoneyV2 {
    amount: Decimal!
    currencyCode: String!
  }

  type MoneyBag {
    shopMoney: MoneyV2!
  }

  type Order implements Node {
    id: ID!
    name: String!
    email: String
    phone: String
    createdAt: DateTime!
    processedAt: DateTime!
    cancelledAt: DateTime
    totalPriceSet: MoneyBag!
    customer: Customer
  }

  type OrderEdge {
    cursor: String!
    node: Order!
  }

  type OrderConnection {
    edges: [OrderEdge!]!
    nodes: [Order!]!
    pageInfo: PageInfo!
  }

  type AbandonedCheckout implements Node {
    id: ID!
    abandonedCheckoutUrl: URL!
    createdAt: DateTime!
    updatedAt: DateTime!
    completedAt: DateTime
    totalPriceSet: MoneyBag!
    customer: Customer
  }

  type AbandonedCheckoutEdge {
    cursor: String!
    node: AbandonedCheckout!
  }

  type AbandonedCheckoutConnection {
    edges: [AbandonedCheckoutEdge!]!
    nodes: [AbandonedCheckout!]!
    pageInfo: PageInfo!
  }

  type AppInstallation {
    id: ID!
    accessScopes: [AccessScope!]!
  }

  type AccessScope {
    handle: String!
    description: String!
  }

  enum WebhookSubscriptionFormat {
    JSON
    XML
  }

  enum WebhookSubscriptionTopic {
    APP_UNINSTALLED
    APP_SCOPES_UPDATE
    CARTS_CREATE
    CARTS_UPDATE
    CHECKOUTS_CREATE
    CHECKOUTS_DELETE
    CHECKOUTS_UPDATE
    CUSTOMERS_CREATE
    CUSTOMERS_DELETE
    CUSTOMERS_EMAIL_MARKETING_CONSENT_UPDATE
    CUSTOMERS_MARKETING_CONSENT_UPDATE
    CUSTOMERS_UPDATE
    ORDERS_CANCELLED
    ORDERS_CREATE
    ORDERS_FULFILLED
    ORDERS_PAID
    ORDERS_UPDATED
    PRODUCTS_CREATE
    PRODUCTS_UPDATE
    SHOP_UPDATE
  }

  type ApiVersion {
    handle: String!
    displayName: String!
    supported: Boolean!
  }

  type WebhookSubscription {
    id: ID!
    topic: WebhookSubscriptionTopic!
    uri: String!
    format: WebhookSubscriptionFormat!
    includeFields: [String!]!
    filter: String
    metafieldNamespaces: [String!]!
    apiVersion: ApiVersion!
    createdAt: DateTime!
    updatedAt: DateTime!
  }

  type PageInfo {
    hasNextPage: Boolean!
    hasPreviousPage: Boolean!
    startCursor: String
    endCursor: String
  }

  type WebhookSubscriptionEdge {
    cursor: String!
    node: WebhookSubscription!
  }

  type WebhookSubscriptionConnection {
    edges: [WebhookSubscriptionEdge!]!
    nodes: [WebhookSubscription!]!
    pageInfo: PageInfo!
  }

  input WebhookSubscriptionInput {
    uri: String
    format: WebhookSubscriptionFormat
    includeFields: [String!]
    filter: String
    metafieldNamespaces: [String!]
  }

  type UserError {
    field: [String!]
    message: String!
  }

  type WebhookSubscriptionCreatePayload {
    userErrors: [UserError!]!
    webhookSubscription: WebhookSubscription
  }

  type WebhookSubscriptionUpdatePayload {
    userErrors: [UserError!]!
    webhookSubscription: WebhookSubscription
  }

  type WebhookSubscriptionDeletePayload {
    deletedWebhookSubscriptionId: ID
    userErrors: [UserError!]!
  }

  type WebPixel {
    id: ID!
    settings: JSON!
  }

  input WebPixelInput {
    settings: JSON!
  }

  enum ErrorsWebPixelUserErrorCode {
    BLANK
    INVALID_CONFIGURATION_JSON
    INVALID_RUNTIME_CONTEXT
    INVALID_SETTINGS
    INVALID_SETTINGS_DEFINITION
    NO_EXTENSION
    NOT_FOUND
    TAKEN
    UNEXPECTED_ERROR
  }

  type ErrorsWebPixelUserError {
    code: ErrorsWebPixelUserErrorCode
    field: [String!]
    message: String!
  }

  type WebPixelCreatePayload {
    userErrors: [ErrorsWebPixelUserError!]!
    webPixel: WebPixel
  }

  type WebPixelUpdatePayload {
    userErrors: [ErrorsWebPixelUserError!]!
    webPixel: WebPixel
  }

  type WebPixelDeletePayload {
    deletedWebPixelId: ID
    userErrors: [ErrorsWebPixelUserError!]!
  }
`;
