/*
 * Kafka's transaction state table (kafka-transaction-coordinator's TransactionState): for each case
 * {"from","to"} (Kafka's state names, as the DescribeTransactions API spells them), whether the
 * coordinator may move a transactional id from one to the other (validPreviousStates), and whether
 * an id in `from` may expire. In 4.1.1 TransactionMetadata itself (the prepare* methods) is still
 * Scala in the broker's kafka_2.13 jar; this harness covers the Java layer only.
 */
package org.apache.kafka.coordinator.transaction;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ksim.conformance.Answers;

public final class TransactionStates {
    public static void main(String[] args) throws Exception {
        Answers.answerEach(TransactionStates::answer);
    }

    private static ObjectNode answer(JsonNode testCase) {
        TransactionState from = TransactionState.fromName(testCase.get("from").asText()).orElseThrow();
        TransactionState to = TransactionState.fromName(testCase.get("to").asText()).orElseThrow();
        ObjectNode answer = Answers.JSON.createObjectNode();
        answer.put("valid", to.validPreviousStates().contains(from));
        answer.put("expirationAllowed", from.isExpirationAllowed());
        return answer;
    }
}
