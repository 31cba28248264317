/**
 * The partition's ISR and high-watermark rules as a transcript (etcd raft's datadriven style): each
 * block of `partition.transcript.txt` is a command, `----`, and the exact output it must produce —
 * what happened, then the leader's view after it:
 *
 *   LEO b1=7 b2=5 b3=? · HW 5 · ISR b1 · maximal ISR b1,b2 · AlterPartition pending: ISR b1,b2
 *
 * (a follower's LEO is what its last fetch told the leader; `?` before its first fetch). Any change
 * of behaviour changes some output and fails the test. To accept a deliberate change, regenerate
 * the expected output and read the diff: UPDATE_TRANSCRIPTS=1 npx vitest run test/broker/partition.transcript.test.ts
 *
 * Commands (the local broker, which leads, is the first replica):
 *   new-partition replicas=b1,b2,b3 min.insync.replicas=2 [replica.lag.time.max.ms=30000]
 *   leader epoch=E isr=b1,b2            the metadata log makes the local broker leader at epoch E
 *   append N records acks=all|1         a Produce to the leader
 *   fetch b2 offset=O epoch=E [last-fetched-epoch=L]   a follower's Fetch (currentLeaderEpoch E)
 *   tick MS                             time passes, then the leader's ISR expiration check runs
 *   alter-partition-response ok|error=CODE   the controller answers the AlterPartition in flight
 *   metadata isr=b1,b2                  the metadata log commits an ISR change in the same leader epoch
 *   delayed-produce until=O             would an acks=all write ending before O be answered now?
 *
 * `partitionTransactions.transcript.txt` adds transactions (KIP-98); its state line also shows the
 * last stable offset and the ongoing transactions:
 *   new-partition ... transactions=on
 *   append-txn N records producer=P epoch=E seq=S [transactional=no]   a producer's batch
 *   marker commit|abort producer=P epoch=E coordinator-epoch=C         WriteTxnMarkers for one partition
 *   read offset=O isolation=read_committed|read_uncommitted [held=yes]  a consumer's Fetch (held: a
 *                                    held fetch completed by the change that woke it, not racing it)
 *   new-partition ... legacy=lso.reads.high.watermark.twice   the pre-KAFKA-9807 legacy switch on
 *   verify producer=P epoch=E        must a produce of P at epoch E ask the coordinator first (KIP-890)?
 *   start-verification producer=P    the leader asks: prints the verification guard it set
 *   guard producer=P guard=G         does that guard still stand when the coordinator answers?
 */
import { join } from 'node:path';
import { expect, test } from 'vitest';
import type { NodeId } from '../../src/host.js';
import { DEFAULT_LEGACY_SWITCHES, type LegacySwitches, parseBrokerConfig } from '../../src/broker/config.js';
import { type AlterPartitionProposal, Partition } from '../../src/broker/partition.js';
import { DEFAULT_LOG_CONFIG } from '../../src/log/config.js';
import { UnifiedLog } from '../../src/log/unifiedLog.js';
import { decodeReceivedRecords, storedBaseOffset, storedLastOffset } from '../../src/log/recordBatch.js';
import type { PartitionRegistration } from '../../src/metadata/types.js';
import type { KafkaErrorCode } from '../../src/protocol/errors.js';
import { DEFAULT_DISK_CONFIG, SimDisk } from '../../sim/disk.js';
import { SeededRandom } from '../../sim/random.js';
import { checkTranscript } from '../support/transcript.js';

const TRANSCRIPT = join(import.meta.dirname, 'partition.transcript.txt');
const TOPIC = 'events';
/** Each follower fetches with this broker epoch; the transcript does not exercise KIP-903. */
const FOLLOWER_BROKER_EPOCH = 10;

/** One partition, led by the first replica, and the controller's side of it as the test plays it. */
class PartitionDriver {
  private nowMs = 0;
  private nextValue = 0;
  private partitionEpoch = -1;
  /** Show the last stable offset and ongoing transactions in the state line. */
  showTransactions = false;
  /** AlterPartition requests sent and not yet shown in the output. */
  private readonly sent: AlterPartitionProposal[] = [];
  /** The AlterPartition the controller has not answered yet. */
  private inFlight: AlterPartitionProposal | null = null;
  readonly partition: Partition;

  constructor(
    readonly replicas: readonly NodeId[],
    readonly minInsyncReplicas: number,
    readonly replicaLagTimeMaxMs: number,
    legacy: LegacySwitches = DEFAULT_LEGACY_SWITCHES,
  ) {
    const disk = new SimDisk(replicas[0]!, DEFAULT_DISK_CONFIG, new SeededRandom('disk', 'transcript'), () => this.nowMs, () => {});
    const log = UnifiedLog.load(disk, `${TOPIC}-0`, DEFAULT_LOG_CONFIG, 0);
    this.partition = new Partition(TOPIC, 0, replicas[0]!, log, { minInsyncReplicas, replicaLagTimeMaxMs, legacy }, {
      nowMs: () => this.nowMs,
      trace: () => {},
      isReplicaIsrEligible: () => true,
      onStorageError: (reason) => {
        throw new Error(`storage error in a transcript: ${reason}`);
      },
      sendAlterPartition: (_partition, proposal) => {
        this.sent.push(proposal);
        this.inFlight = proposal;
      },
    });
  }

  run(command: string, args: Map<string, string>, words: readonly string[]): string[] {
    switch (command) {
      case 'leader':
        return this.leader(intArg(args, 'epoch'), listArg(args, 'isr'));
      case 'metadata':
        return this.metadata(listArg(args, 'isr'));
      case 'append':
        return this.append(Number(words[1]), args.get('acks') === 'all' ? -1 : 1);
      case 'fetch':
        return this.fetch(words[1]!, intArg(args, 'offset'), intArg(args, 'epoch'), args.has('last-fetched-epoch') ? intArg(args, 'last-fetched-epoch') : -1);
      case 'tick':
        this.nowMs += Number(words[1]);
        this.partition.maybeShrinkIsr(this.nowMs);
        return [`now ${this.nowMs} ms`];
      case 'alter-partition-response':
        return this.alterPartitionResponse(words[1] === 'ok' ? 'NONE' : (args.get('error') as KafkaErrorCode));
      case 'append-txn':
        return this.appendTransactional(Number(words[1]), intArg(args, 'producer'), intArg(args, 'epoch'), intArg(args, 'seq'), args.get('transactional') !== 'no');
      case 'marker':
        return this.marker(words[1] === 'commit' ? 'COMMIT' : 'ABORT', intArg(args, 'producer'), intArg(args, 'epoch'), intArg(args, 'coordinator-epoch'));
      case 'read':
        return this.read(intArg(args, 'offset'), args.get('isolation') === 'read_committed' ? 1 : 0, args.get('held') !== 'yes');
      case 'verify': {
        const needed = this.partition.needsTransactionVerification(intArg(args, 'producer'), intArg(args, 'epoch'));
        return [needed ? 'verify with the coordinator first' : 'no verification: the transaction is open at this epoch'];
      }
      case 'start-verification':
        return [`guard ${this.partition.startTransactionVerification(intArg(args, 'producer'), args.has('epoch') ? intArg(args, 'epoch') : 0, args.get('version') === '2')}`];
      case 'guard':
        return [this.partition.verificationGuardHolds(intArg(args, 'producer'), intArg(args, 'guard')) ? 'the guard holds: append' : 'the guard is gone: INVALID_TXN_STATE'];
      case 'delayed-produce': {
        const check = this.partition.checkEnoughReplicasReachOffset(intArg(args, 'until'));
        return [check.done ? `answered: ${check.error}` : 'still waiting'];
      }
      default:
        throw new Error(`unknown transcript command: ${command}`);
    }
  }

  private leader(leaderEpoch: number, isr: readonly NodeId[]): string[] {
    // A new registration settles the partition's proposal; a late answer to it would be ignored.
    this.inFlight = null;
    const change = this.partition.applyRegistration(this.registration(leaderEpoch, isr));
    const epochStart = this.partition.log.epochEntries().at(-1);
    return [`${change}: epoch ${leaderEpoch} starts at offset ${epochStart?.startOffset ?? '?'} (leader-epoch cache)`];
  }

  private metadata(isr: readonly NodeId[]): string[] {
    this.inFlight = null;
    const change = this.partition.applyRegistration(this.registration(this.partition.leaderEpoch, isr));
    return [`${change}: ISR ${isr.join(',')} at partition epoch ${this.partitionEpoch} (metadata log)`];
  }

  /** The next registration the metadata log carries: a new partition epoch. */
  private registration(leaderEpoch: number, isr: readonly NodeId[]): PartitionRegistration {
    this.partitionEpoch += 1;
    return {
      topic: TOPIC,
      topicId: `${TOPIC}-id`,
      partitionId: 0,
      replicas: this.replicas,
      isr,
      eligibleLeaderReplicas: [],
      lastKnownElr: [],
      leader: this.replicas[0]!,
      leaderEpoch,
      partitionEpoch: this.partitionEpoch,
      leaderRecoveryState: 'RECOVERED',
    };
  }

  private append(count: number, requiredAcks: number): string[] {
    const records = Array.from({ length: count }, () => ({ key: null, value: `v${this.nextValue++}`, timestampMs: this.nowMs }));
    const result = this.partition.appendRecordsToLeader(records, null, requiredAcks, this.nowMs);
    if ('error' in result) return [`refused: ${result.error}`];
    return [`appended offsets ${result.firstOffset}..${result.lastOffset} at epoch ${this.partition.leaderEpoch}`];
  }

  private appendTransactional(count: number, producerId: number, producerEpoch: number, baseSequence: number, transactional: boolean): string[] {
    const records = Array.from({ length: count }, () => ({ key: null, value: `v${this.nextValue++}`, timestampMs: this.nowMs }));
    const result = this.partition.appendRecordsToLeader(records, { producerId, producerEpoch, baseSequence }, -1, this.nowMs, transactional);
    if ('error' in result) return [`refused: ${result.error}`];
    return [`appended offsets ${result.firstOffset}..${result.lastOffset}${result.duplicate ? ' (duplicate)' : ''}`];
  }

  private marker(result: 'COMMIT' | 'ABORT', producerId: number, producerEpoch: number, coordinatorEpoch: number): string[] {
    const appended = this.partition.appendTxnMarkerToLeader({ producerId, producerEpoch, coordinatorEpoch, result }, this.nowMs);
    if ('error' in appended) return [`refused: ${appended.error}`];
    return [`${result} marker at offset ${appended.firstOffset}`];
  }

  private read(fetchOffset: number, isolationLevel: 0 | 1, racesHighWatermarkUpdates: boolean): string[] {
    const response = this.partition.fetchAsLeaderForConsumer(
      { partition: 0, currentLeaderEpoch: this.partition.leaderEpoch, fetchOffset, lastFetchedEpoch: -1, logStartOffset: 0, partitionMaxBytes: 1 << 20 },
      1 << 20,
      isolationLevel,
      racesHighWatermarkUpdates,
    );
    if (response.errorCode !== 'NONE') return [`error: ${response.errorCode}`];
    const batches = decodeReceivedRecords(response.records)!.map(({ batch }) => {
      const range = `${batch.baseOffset}..${batch.baseOffset + batch.lastOffsetDelta}`;
      if (batch.isControl) return `${range} marker of producer ${batch.producerId}`;
      return `${range}${batch.isTransactional ? ` txn of producer ${batch.producerId}` : ''}`;
    });
    const aborted = response.abortedTransactions === undefined ? 'none (read_uncommitted)' : response.abortedTransactions.map((txn) => `producer ${txn.producerId} from ${txn.firstOffset}`).join(', ') || '[]';
    return [`batches: ${batches.join('; ') || 'none'} · HW ${response.highWatermark} · LSO ${response.lastStableOffset} · aborted transactions: ${aborted}`];
  }

  private fetch(replicaId: NodeId, fetchOffset: number, currentLeaderEpoch: number, lastFetchedEpoch: number): string[] {
    const response = this.partition.fetchAsLeaderForFollower(
      replicaId,
      FOLLOWER_BROKER_EPOCH,
      { partition: 0, currentLeaderEpoch, fetchOffset, lastFetchedEpoch, logStartOffset: 0, partitionMaxBytes: 1 << 20 },
      1 << 20,
      this.nowMs,
    );
    if (response.errorCode !== 'NONE') return [`error: ${response.errorCode}`];
    if (response.divergingEpoch !== null) return [`diverging: epoch ${response.divergingEpoch.epoch} ends at offset ${response.divergingEpoch.endOffset}`];
    const batches = response.records.batches;
    const last = batches.at(-1);
    if (last === undefined) return [`no records; leader's HW ${response.highWatermark}`];
    return [`records ${storedBaseOffset(batches[0]!)}..${storedLastOffset(last)}; leader's HW ${response.highWatermark}`];
  }

  private alterPartitionResponse(errorCode: KafkaErrorCode): string[] {
    const proposal = this.inFlight;
    if (proposal === null) return ['nothing to answer: no AlterPartition in flight'];
    if (errorCode !== 'NONE') {
      const retry = this.partition.onAlterPartitionResponse(proposal, { errorCode, leaderEpoch: -1, isr: [], partitionEpoch: -1 });
      // A retried proposal stays in flight: the AlterPartitionManager sends it again.
      if (!retry) this.inFlight = null;
      if (this.partition.proposedIsr === null) return [`rejected: ${errorCode}; the proposal is dropped`];
      return [`${errorCode}: the proposal stays pending, ${retry ? 'sent again' : 'until the metadata log settles it'}`];
    }
    this.inFlight = null;
    this.partitionEpoch = proposal.partitionEpoch + 1;
    this.partition.onAlterPartitionResponse(proposal, { errorCode, leaderEpoch: proposal.leaderEpoch, isr: proposal.isr, partitionEpoch: this.partitionEpoch });
    return [`committed: ISR ${proposal.isr.join(',')} at partition epoch ${this.partitionEpoch}`];
  }

  /** AlterPartition requests the partition sent since the last call, one line each. */
  takeSent(): string[] {
    return this.sent.splice(0).map((p) => `AlterPartition sent: ISR ${p.isr.join(',')} (leader epoch ${p.leaderEpoch}, partition epoch ${p.partitionEpoch})`);
  }

  state(): string {
    const partition = this.partition;
    const leos = this.replicas.map((id, index) => {
      if (index === 0) return `${id}=${partition.log.logEndOffset}`;
      const remote = partition.remoteReplica(id);
      return `${id}=${remote === undefined || remote.logEndOffset < 0 ? '?' : remote.logEndOffset}`;
    });
    const proposed = partition.proposedIsr;
    return [
      `LEO ${leos.join(' ')}`,
      `HW ${partition.highWatermark}`,
      `ISR ${partition.isr.join(',')}`,
      `maximal ISR ${partition.maximalIsr.join(',')}`,
      `AlterPartition ${proposed === null ? 'none' : `pending: ISR ${proposed.join(',')}`}`,
      ...(this.showTransactions ? [this.transactionState()] : []),
    ].join(' · ');
  }

  private transactionState(): string {
    const log = this.partition.log;
    const ongoing = log.ongoingTransactions().map(([firstOffset, producerId]) => `producer ${producerId} from ${firstOffset}`);
    return `LSO ${log.lastStableOffset} · ongoing ${ongoing.join(', ') || 'none'}`;
  }
}

function intArg(args: Map<string, string>, name: string): number {
  const value = Number(args.get(name));
  if (!Number.isInteger(value)) throw new Error(`transcript: ${name}= must be an integer, got ${String(args.get(name))}`);
  return value;
}

function listArg(args: Map<string, string>, name: string): NodeId[] {
  return (args.get(name) ?? '').split(',').filter((id) => id.length > 0);
}

/** Runs one command line against the current driver (or makes a new one); returns its output lines. */
function execute(line: string, current: PartitionDriver | null): { state: PartitionDriver; output: string[] } {
  const words = line.trim().split(/\s+/);
  const args = new Map(words.filter((word) => word.includes('=')).map((word) => word.split('=', 2) as [string, string]));
  const command = words[0]!;
  if (command === 'new-partition') {
    const legacy = { ...DEFAULT_LEGACY_SWITCHES, lastStableOffsetReadsHighWatermarkTwice: args.get('legacy') === 'lso.reads.high.watermark.twice' };
    const driver = new PartitionDriver(listArg(args, 'replicas'), intArg(args, 'min.insync.replicas'), args.has('replica.lag.time.max.ms') ? intArg(args, 'replica.lag.time.max.ms') : 30_000, legacy);
    driver.showTransactions = args.get('transactions') === 'on';
    return { state: driver, output: [`${driver.replicas[0]} hosts ${TOPIC}-0, replicas ${driver.replicas.join(',')}, min.insync.replicas=${driver.minInsyncReplicas}, replica.lag.time.max.ms=${driver.replicaLagTimeMaxMs}`] };
  }
  if (current === null) throw new Error(`transcript: "${line}" before any new-partition`);
  const result = current.run(command, args, words);
  return { state: current, output: [...result, ...current.takeSent(), current.state()] };
}

test('the partition transcript (ISR, high watermark, min.insync.replicas, leader epochs) replays exactly', () => {
  checkTranscript(TRANSCRIPT, execute);
});

test('the transactions transcript (markers, the last stable offset, read_committed, the aborted-transaction index) replays exactly', () => {
  checkTranscript(join(import.meta.dirname, 'partitionTransactions.transcript.txt'), execute);
});

test('the broker config key ksim.legacy.lso.reads.high.watermark.twice sets the pre-KAFKA-9807 switch, off by default', () => {
  expect(parseBrokerConfig({}).legacy.lastStableOffsetReadsHighWatermarkTwice).toBe(false);
  expect(parseBrokerConfig({ 'ksim.legacy.lso.reads.high.watermark.twice': true }).legacy.lastStableOffsetReadsHighWatermarkTwice).toBe(true);
});

test('the broker config key ksim.legacy.no.producer.epoch.fencing sets the partition\'s pre-KIP-98 switch, off by default', () => {
  expect(parseBrokerConfig({}).legacy.noProducerEpochFencing).toBe(false);
  expect(parseBrokerConfig({ 'ksim.legacy.no.producer.epoch.fencing': true }).legacy.noProducerEpochFencing).toBe(true);
  expect(parseBrokerConfig({ 'ksim.legacy.no.producer.epoch.fencing': 'false' }).legacy.noProducerEpochFencing).toBe(false);
});
