export type {
  WebhookEndpoint,
  WebhookEndpointStatus,
  WebhookPayload,
  WebhookSender,
  WebhookSenderOptions,
} from './createWebhookSender';
export { createWebhookSender, WEBHOOK_TYPES, webhookType } from './createWebhookSender';
