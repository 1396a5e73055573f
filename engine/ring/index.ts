export { RingBuffer, type RingSpec, type RingReaderSpec, type DeliveryMode, type RingStats } from './RingBuffer.js';
export { RingProducer } from './RingProducer.js';
export { RingReader, type MessageHandler } from './RingReader.js';
export { Doorbell } from './Doorbell.js';
export { WaitStrategy, type WaitStrategySpec } from './WaitStrategy.js';
export { seqDiff, seqAdd, seqAfter } from './Sequence.js';
