/**
 * The cases for Kafka's producer state on append (kafka-storage's ProducerStateManager and
 * ProducerAppendInfo, harness conformance/kafka/ProducerState.java), for `npm run conformance`.
 * Each case is a sequence of steps on one partition: data batches from two or three producers
 * (idempotent or transactional), transaction markers, and high-watermark moves. The generator keeps
 * its own idea of each producer's next sequence and mostly follows it, and mixes in the wrong steps
 * Kafka must refuse or recognise: retries of one of the last batches, gaps, older epochs, epoch
 * bumps starting at a sequence other than 0, non-transactional batches inside a transaction,
 * markers with an older producer or coordinator epoch, markers that bump the epoch (transaction
 * version 2), markers for producers with no transaction, and sequences near Integer.MAX_VALUE that
 * wrap to 0.
 */
import { draws } from './draws.mjs';

const SEED = 'ksim-producer-state-1';
const CASES = 400;
const INT32_MAX = 0x7fff_ffff;

export const producerStateSeed = SEED;

/** The recorded cases, each with Kafka's answer; askKafka answers a batch of cases. */
export function producerStateCases(askKafka) {
  const { random, between, chance, pick } = draws(SEED);
  const wrap = (sequence) => (sequence > INT32_MAX ? sequence - INT32_MAX - 1 : sequence);

  const drawCase = () => {
    const producers = Array.from({ length: between(1, 3) }, (_, index) => ({
      producerId: 1000 + index,
      epoch: between(0, 3),
      nextSeq: chance(0.15) ? INT32_MAX - between(0, 4) : chance(0.1) ? between(1, 50) : 0,
      coordinatorEpoch: between(0, 2),
      transactional: chance(0.6),
      history: [],
    }));
    const steps = [];
    let logEnd = 0;
    for (let count = between(4, 16); count > 0; count--) {
      const producer = pick(producers);
      const roll = random();
      if (roll < 0.1) {
        steps.push({ op: 'highWatermark', offset: between(0, logEnd) });
      } else if (roll < 0.3 && producer.transactional) {
        steps.push(drawMarker(producer));
        logEnd += 1;
      } else {
        steps.push(drawData(producer));
        logEnd += steps[steps.length - 1].count;
      }
    }
    return { steps };
  };

  const drawData = (producer) => {
    const count = between(1, 4);
    const roll = random();
    let { epoch, nextSeq: firstSeq } = producer;
    let batchCount = count;
    if (roll < 0.12 && producer.history.length > 0) {
      ({ firstSeq, count: batchCount } = pick(producer.history.slice(-7)));
    } else if (roll < 0.18) {
      firstSeq = wrap(firstSeq + between(1, 3));
    } else if (roll < 0.24) {
      epoch = Math.max(0, epoch - between(1, 2));
    } else if (roll < 0.32) {
      epoch += 1;
      firstSeq = chance(0.6) ? 0 : between(1, 5);
    }
    const transactional = producer.transactional && !chance(0.1);
    const step = { op: 'data', producerId: producer.producerId, epoch, firstSeq, count: batchCount, transactional };
    if (epoch >= producer.epoch && !(roll < 0.12)) {
      producer.epoch = epoch;
      producer.nextSeq = wrap(firstSeq + batchCount);
      producer.history.push({ firstSeq, count: batchCount });
    }
    return step;
  };

  const drawMarker = (producer) => {
    const roll = random();
    let { epoch, coordinatorEpoch } = producer;
    if (roll < 0.1) epoch = Math.max(0, epoch - 1);
    else if (roll < 0.3) epoch += 1;
    if (chance(0.1)) coordinatorEpoch = Math.max(0, coordinatorEpoch - 1);
    else if (chance(0.15)) coordinatorEpoch += 1;
    if (epoch >= producer.epoch && coordinatorEpoch >= producer.coordinatorEpoch) {
      if (epoch !== producer.epoch) producer.history = [];
      producer.epoch = epoch;
      producer.coordinatorEpoch = coordinatorEpoch;
      if (chance(0.3)) {
        producer.epoch += 1;
        producer.nextSeq = 0;
        producer.history = [];
      }
    }
    return { op: 'marker', producerId: producer.producerId, epoch, coordinatorEpoch, commit: chance(0.5) };
  };

  return askKafka(Array.from({ length: CASES }, drawCase));
}
