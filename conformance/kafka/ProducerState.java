/*
 * Kafka's producer state on append (kafka-storage's ProducerStateManager and ProducerAppendInfo),
 * driven the way UnifiedLog drives them for a leader's appends: each case is a sequence of steps on
 * one partition's log —
 *   {"op":"data","producerId","epoch","firstSeq","count","transactional"}  a client's batch;
 *   {"op":"marker","producerId","epoch","coordinatorEpoch","commit"}        a coordinator's marker;
 *   {"op":"highWatermark","offset"}                                          the high watermark moves.
 * A batch is written at the log end offset (data batches take `count` offsets, a marker one) unless
 * Kafka refuses it or finds it a duplicate of one of the producer's last 5 batches (UnifiedLog's
 * findDuplicateBatch, asked before ProducerAppendInfo). After each step the answer records the
 * outcome, the transaction a marker completed with its last stable offset (what the transaction
 * index would record), the first unstable offset and the ongoing transactions.
 *
 * In package org.apache.kafka.storage.internals.log to reach batchWithSequenceRange, the
 * package-private half of findDuplicateBatch (which needs a whole RecordBatch).
 */
package org.apache.kafka.storage.internals.log;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ksim.conformance.Answers;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.record.ControlRecordType;
import org.apache.kafka.common.record.EndTransactionMarker;
import org.apache.kafka.common.utils.Time;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Optional;

public final class ProducerState {
    private static final TopicPartition PARTITION = new TopicPartition("t", 0);

    public static void main(String[] args) throws Exception {
        Answers.answerEach(ProducerState::run);
    }

    private static ObjectNode run(JsonNode testCase) {
        File logDir;
        try {
            logDir = Files.createTempDirectory("ksim-producer-state").toFile();
            logDir.deleteOnExit();
            ProducerStateManager manager = new ProducerStateManager(PARTITION, logDir, 900_000,
                new ProducerStateManagerConfig(86_400_000, false), Time.SYSTEM);
            ObjectNode answer = Answers.JSON.createObjectNode();
            ArrayNode steps = answer.putArray("steps");
            long logEndOffset = 0;
            for (JsonNode step : testCase.get("steps")) {
                ObjectNode result = steps.addObject();
                logEndOffset = apply(manager, step, logEndOffset, result);
                result.put("firstUnstableOffset", manager.firstUnstableOffset().map(metadata -> metadata.messageOffset).orElse(-1L));
                ArrayNode ongoing = result.putArray("ongoing");
                manager.activeProducers().forEach((producerId, entry) -> entry.currentTxnFirstOffset().ifPresent(first -> ongoing.addArray().add(first).add(producerId)));
            }
            return answer;
        } catch (IOException error) {
            throw new UncheckedIOException(error);
        }
    }

    private static long apply(ProducerStateManager manager, JsonNode step, long logEndOffset, ObjectNode result) {
        String op = step.get("op").asText();
        if (op.equals("highWatermark")) {
            manager.onHighWatermarkUpdated(step.get("offset").asLong());
            result.put("outcome", "ok");
            return logEndOffset;
        }
        long producerId = step.get("producerId").asLong();
        short epoch = (short) step.get("epoch").asInt();
        try {
            if (op.equals("data")) {
                int firstSeq = step.get("firstSeq").asInt();
                int count = step.get("count").asInt();
                int lastSeq = (int) ((firstSeq + (long) count - 1) % (1L + Integer.MAX_VALUE));
                Optional<BatchMetadata> duplicate = manager.lastEntry(producerId)
                    .filter(entry -> entry.producerEpoch() == epoch)
                    .flatMap(entry -> entry.batchWithSequenceRange(firstSeq, lastSeq));
                if (duplicate.isPresent()) {
                    result.put("outcome", "duplicate");
                    result.put("duplicateFirstOffset", duplicate.get().firstOffset());
                    result.put("duplicateLastOffset", duplicate.get().lastOffset);
                    return logEndOffset;
                }
                ProducerAppendInfo appendInfo = manager.prepareUpdate(producerId, AppendOrigin.CLIENT);
                appendInfo.appendDataBatch(epoch, firstSeq, lastSeq, 0L, new LogOffsetMetadata(logEndOffset), logEndOffset + count - 1, step.get("transactional").asBoolean());
                manager.update(appendInfo);
                manager.updateMapEndOffset(logEndOffset + count);
                result.put("outcome", "ok");
                return logEndOffset + count;
            }
            ProducerAppendInfo appendInfo = manager.prepareUpdate(producerId, AppendOrigin.COORDINATOR);
            EndTransactionMarker marker = new EndTransactionMarker(step.get("commit").asBoolean() ? ControlRecordType.COMMIT : ControlRecordType.ABORT, step.get("coordinatorEpoch").asInt());
            Optional<CompletedTxn> completed = appendInfo.appendEndTxnMarker(marker, epoch, logEndOffset, 0L);
            manager.update(appendInfo);
            completed.ifPresent(txn -> {
                result.putArray("completed").add(txn.firstOffset).add(txn.lastOffset).add(txn.isAborted).add(manager.lastStableOffset(txn));
                manager.completeTxn(txn);
            });
            manager.updateMapEndOffset(logEndOffset + 1);
            result.put("outcome", "ok");
            return logEndOffset + 1;
        } catch (RuntimeException error) {
            result.put("outcome", error.getClass().getSimpleName());
            return logEndOffset;
        }
    }
}
