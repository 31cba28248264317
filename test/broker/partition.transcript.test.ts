/**
 * The partition's ISR and high-watermark rules as a transcript (etcd raft's datadriven style): each
 * block of `partition.transcript.txt` is a command, `----`, and the exact output it must produce —
 * what happened, then the leader's view after it:
 *
 *   LEO b1=7 b2=5 b3=? · HW 5 · ISR b1 · maximal ISR b1,b2 · AlterPartition in flight: ISR b1,b2
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
 *   delayed-produce until=O             would an acks=all write ending before O be answered now?
 */
import { join } from 'node:path';
import { test } from 'vitest';
import type { NodeId } from '../../src/host.js';
import { DEFAULT_LEGACY_SWITCHES } from '../../src/broker/config.js';
import { Partition } from '../../src/broker/partition.js';
import { DEFAULT_LOG_CONFIG } from '../../src/log/config.js';
import { UnifiedLog } from '../../src/log/unifiedLog.js';
import type { PartitionRegistration } from '../../src/metadata/types.js';
import type { KafkaErrorCode } from '../../src/protocol/errors.js';
import { DEFAULT_DISK_CONFIG, SimDisk } from '../../sim/disk.js';
import { SeededRandom } from '../../sim/random.js';
import { checkTranscript } from '../support/transcript.js';

const TRANSCRIPT = join(import.meta.dirname, 'partition.transcript.txt');
const TOPIC = 'events';
/** Each follower fetches with this broker epoch; the transcript does not exercise KIP-903. */
const FOLLOWER_BROKER_EPOCH = 10;

interface Proposal {
  readonly isr: readonly NodeId[];
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
}

/** One partition, led by the first replica, and the controller's side of it as the test plays it. */
class PartitionDriver {
  private nowMs = 0;
  private nextValue = 0;
  private partitionEpoch = -1;
  /** AlterPartition requests sent and not yet shown in the output. */
  private readonly sent: Proposal[] = [];
  /** The AlterPartition the controller has not answered yet. */
  private inFlight: Proposal | null = null;
  readonly partition: Partition;

  constructor(
    readonly replicas: readonly NodeId[],
    readonly minInsyncReplicas: number,
    readonly replicaLagTimeMaxMs: number,
  ) {
    const disk = new SimDisk(replicas[0]!, DEFAULT_DISK_CONFIG, new SeededRandom('disk', 'transcript'), () => this.nowMs, () => {});
    const log = UnifiedLog.load(disk, `${TOPIC}-0`, DEFAULT_LOG_CONFIG, 0);
    this.partition = new Partition(TOPIC, 0, replicas[0]!, log, { minInsyncReplicas, replicaLagTimeMaxMs, legacy: DEFAULT_LEGACY_SWITCHES }, {
      nowMs: () => this.nowMs,
      trace: () => {},
      isReplicaIsrEligible: () => true,
      onStorageError: (reason) => {
        throw new Error(`storage error in a transcript: ${reason}`);
      },
      sendAlterPartition: (_partition, request) => {
        const proposal = { isr: request.newIsrWithEpochs.map((member) => member.brokerId), leaderEpoch: request.leaderEpoch, partitionEpoch: request.partitionEpoch };
        this.sent.push(proposal);
        this.inFlight = proposal;
      },
    });
  }

  run(command: string, args: Map<string, string>, words: readonly string[]): string[] {
    switch (command) {
      case 'leader':
        return this.leader(intArg(args, 'epoch'), listArg(args, 'isr'));
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
      case 'delayed-produce': {
        const check = this.partition.checkEnoughReplicasReachOffset(intArg(args, 'until'));
        return [check.done ? `answered: ${check.error}` : 'still waiting'];
      }
      default:
        throw new Error(`unknown transcript command: ${command}`);
    }
  }

  private leader(leaderEpoch: number, isr: readonly NodeId[]): string[] {
    // A new registration drops the partition's proposal; a late answer to it would be ignored.
    this.inFlight = null;
    this.partitionEpoch += 1;
    const registration: PartitionRegistration = {
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
    const change = this.partition.applyRegistration(registration);
    const epochStart = this.partition.log.epochEntries().at(-1);
    return [`${change}: epoch ${leaderEpoch} starts at offset ${epochStart?.startOffset ?? '?'} (leader-epoch cache)`];
  }

  private append(count: number, requiredAcks: number): string[] {
    const records = Array.from({ length: count }, () => ({ key: null, value: `v${this.nextValue++}`, timestampMs: this.nowMs }));
    const result = this.partition.appendRecordsToLeader(records, null, requiredAcks, this.nowMs);
    if ('error' in result) return [`refused: ${result.error}`];
    return [`appended offsets ${result.firstOffset}..${result.lastOffset} at epoch ${this.partition.leaderEpoch}`];
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
    const last = response.records.at(-1);
    if (last === undefined) return [`no records; leader's HW ${response.highWatermark}`];
    return [`records ${response.records[0]!.baseOffset}..${last.baseOffset + last.lastOffsetDelta}; leader's HW ${response.highWatermark}`];
  }

  private alterPartitionResponse(errorCode: KafkaErrorCode): string[] {
    const proposal = this.inFlight;
    if (proposal === null) throw new Error('transcript: alter-partition-response with no AlterPartition in flight');
    this.inFlight = null;
    if (errorCode !== 'NONE') {
      this.partition.onAlterPartitionResponse({ errorCode, leaderEpoch: -1, isr: [], partitionEpoch: -1 });
      return [`rejected: ${errorCode}`];
    }
    this.partitionEpoch = proposal.partitionEpoch + 1;
    this.partition.onAlterPartitionResponse({ errorCode, leaderEpoch: proposal.leaderEpoch, isr: proposal.isr, partitionEpoch: this.partitionEpoch });
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
      `AlterPartition ${proposed === null ? 'none' : `in flight: ISR ${proposed.join(',')}`}`,
    ].join(' · ');
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
    const driver = new PartitionDriver(listArg(args, 'replicas'), intArg(args, 'min.insync.replicas'), args.has('replica.lag.time.max.ms') ? intArg(args, 'replica.lag.time.max.ms') : 30_000);
    return { state: driver, output: [`${driver.replicas[0]} hosts ${TOPIC}-0, replicas ${driver.replicas.join(',')}, min.insync.replicas=${driver.minInsyncReplicas}, replica.lag.time.max.ms=${driver.replicaLagTimeMaxMs}`] };
  }
  if (current === null) throw new Error(`transcript: "${line}" before any new-partition`);
  const result = current.run(command, args, words);
  return { state: current, output: [...result, ...current.takeSent(), current.state()] };
}

test('the partition transcript (ISR, high watermark, min.insync.replicas, leader epochs) replays exactly', () => {
  checkTranscript(TRANSCRIPT, execute);
});
