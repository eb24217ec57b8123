/**
 * The request a mirror sends, in the OpenAI chat shape every provider client
 * takes: an OpenAI request as it came, minus the client's stream settings
 * (the mirror streams when the client did); an Anthropic one translated.
 */
import type { ChatRequest } from '../providers/types.js';
import { fromAnthropicRequest } from './anthropic-inbound.js';
import type { InboundRequest } from './inbound.js';

export function mirrorRequestOf(inbound: InboundRequest): ChatRequest | null {
  if (inbound.api === 'anthropic') return fromAnthropicRequest(inbound.json);
  if (!Array.isArray(inbound.json.messages)) return null;
  const { stream: _stream, stream_options: _options, ...rest } = inbound.json;
  return rest as ChatRequest;
}
