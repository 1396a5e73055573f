/** Hot-path message types. The numeric values are on the wire (and in recordings): never renumber. */
export const MessageType = {
  DepthUpdate: 1,
  Trade: 2,
  Quote: 3,
  Bar: 4,
  BookTop: 5,
  AnalyticsSnapshot: 6,
  Signal: 7,
  OrderIntent: 8,
  OrderEvent: 9,
  Heartbeat: 10,
} as const;
export type MessageTypeId = (typeof MessageType)[keyof typeof MessageType];

export const MESSAGE_TYPE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(MessageType).map(([k, v]) => [v, k]),
);

/** Version of each layout; a reader rejects a version it does not know instead of misreading it. */
export const LAYOUT_VERSION = 1;
