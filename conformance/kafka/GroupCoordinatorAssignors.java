/*
 * The KIP-848 server-side assignors (uniform, range) as kafka-group-coordinator ships them, run on
 * the cases ksim's conformance script writes to stdin; their answers go to stdout as JSON.
 *
 * The group spec is built as TargetAssignmentBuilder builds it: members in a HashMap filled in the
 * given order, each member's current target as Assignment.fromRecord makes it (a HashMap of topic
 * ids to HashSets of partitions, in the record's order), the inverted target assignment, and the
 * subscription type (homogeneous when every member subscribes to the same topics). Topic ids are
 * ksim's 32 hex digits, read as a Uuid's most and least significant halves. Racks are absent.
 *
 * Input:  {"cases":[{"assignor":"uniform","topics":{"<hex>":3},"members":[{"memberId":"m1",
 *          "instanceId":null,"subscribedTopicIds":["<hex>"],"assignment":[["<hex>",[0,1]]]}]}]}
 * Output: {"answers":[{"assignment":{"m1":[["<hex>",[0,1]]]}} | {"error":"..."}]}
 */
package org.apache.kafka.coordinator.group;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ksim.conformance.Answers;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.coordinator.group.api.assignor.ConsumerGroupPartitionAssignor;
import org.apache.kafka.coordinator.group.api.assignor.GroupAssignment;
import org.apache.kafka.coordinator.group.api.assignor.MemberAssignment;
import org.apache.kafka.coordinator.group.api.assignor.SubscribedTopicDescriber;
import org.apache.kafka.coordinator.group.api.assignor.SubscriptionType;
import org.apache.kafka.coordinator.group.assignor.RangeAssignor;
import org.apache.kafka.coordinator.group.assignor.UniformAssignor;
import org.apache.kafka.coordinator.group.modern.Assignment;
import org.apache.kafka.coordinator.group.modern.GroupSpecImpl;
import org.apache.kafka.coordinator.group.modern.MemberSubscriptionAndAssignmentImpl;

import java.util.*;

public class GroupCoordinatorAssignors {
    private static final ObjectMapper JSON = Answers.JSON;

    public static void main(String[] args) throws Exception {
        Answers.answerEach(GroupCoordinatorAssignors::assign);
    }

    private static ObjectNode assign(JsonNode testCase) {
        ConsumerGroupPartitionAssignor assignor = assignorNamed(testCase.get("assignor").asText());
        Map<Uuid, Integer> partitionCounts = new HashMap<>();
        testCase.get("topics").fields().forEachRemaining(topic -> partitionCounts.put(uuidOf(topic.getKey()), topic.getValue().asInt()));
        Map<String, MemberSubscriptionAndAssignmentImpl> memberSpecs = new HashMap<>();
        Map<Uuid, Map<Integer, String>> invertedTargetAssignment = new HashMap<>();
        Set<Set<Uuid>> subscriptions = new HashSet<>();
        for (JsonNode member : testCase.get("members")) {
            String memberId = member.get("memberId").asText();
            Set<Uuid> subscribedTopicIds = new HashSet<>();
            member.get("subscribedTopicIds").forEach(topicId -> subscribedTopicIds.add(uuidOf(topicId.asText())));
            subscriptions.add(subscribedTopicIds);
            Map<Uuid, Set<Integer>> partitions = new HashMap<>();
            for (JsonNode entry : member.get("assignment")) {
                List<Integer> list = new ArrayList<>();
                entry.get(1).forEach(partition -> list.add(partition.asInt()));
                Uuid topicId = uuidOf(entry.get(0).asText());
                partitions.put(topicId, new HashSet<>(list));
                for (int partition : list) invertedTargetAssignment.computeIfAbsent(topicId, __ -> new HashMap<>()).put(partition, memberId);
            }
            JsonNode instanceId = member.get("instanceId");
            memberSpecs.put(memberId, new MemberSubscriptionAndAssignmentImpl(
                Optional.empty(),
                instanceId == null || instanceId.isNull() ? Optional.empty() : Optional.of(instanceId.asText()),
                subscribedTopicIds,
                new Assignment(partitions)));
        }
        SubscriptionType subscriptionType = subscriptions.size() <= 1 ? SubscriptionType.HOMOGENEOUS : SubscriptionType.HETEROGENEOUS;
        SubscribedTopicDescriber describer = new SubscribedTopicDescriber() {
            @Override
            public int numPartitions(Uuid topicId) {
                return partitionCounts.getOrDefault(topicId, -1);
            }

            @Override
            public Set<String> racksForPartition(Uuid topicId, int partition) {
                return Set.of();
            }
        };
        GroupAssignment result = assignor.assign(
            new GroupSpecImpl(Collections.unmodifiableMap(memberSpecs), subscriptionType, invertedTargetAssignment),
            describer);
        ObjectNode assignment = JSON.createObjectNode();
        for (Map.Entry<String, MemberAssignment> entry : new TreeMap<>(result.members()).entrySet()) {
            ArrayNode topics = assignment.putArray(entry.getKey());
            for (Map.Entry<Uuid, Set<Integer>> topic : entry.getValue().partitions().entrySet()) {
                ArrayNode pair = topics.addArray();
                pair.add(hexOf(topic.getKey()));
                ArrayNode partitionList = pair.addArray();
                new TreeSet<>(topic.getValue()).forEach(partitionList::add);
            }
        }
        return assignment;
    }

    private static ConsumerGroupPartitionAssignor assignorNamed(String name) {
        switch (name) {
            case "uniform": return new UniformAssignor();
            case "range": return new RangeAssignor();
            default: throw new IllegalArgumentException("unknown assignor " + name);
        }
    }

    private static Uuid uuidOf(String hex) {
        return new Uuid(Long.parseUnsignedLong(hex.substring(0, 16), 16), Long.parseUnsignedLong(hex.substring(16, 32), 16));
    }

    private static String hexOf(Uuid uuid) {
        return String.format("%016x%016x", uuid.getMostSignificantBits(), uuid.getLeastSignificantBits());
    }
}
