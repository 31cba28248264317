/*
 * Kafka's client-side partition assignors (range, roundrobin, sticky, cooperative-sticky) as
 * kafka-clients ships them, run on the cases ksim's conformance script writes to stdin; their
 * answers go to stdout as JSON. It sits in Kafka's consumer package only to use StickyAssignor's
 * own user-data encoder, so the sticky assignor reads exactly the bytes a real member would send.
 *
 * Input:  {"cases":[{"assignor":"range","topics":{"t0":3},"members":[{"memberId":"m1",
 *          "groupInstanceId":null,"topics":["t0"],"ownedPartitions":[["t0",0]],"generation":-1,
 *          "userData":null | {"partitions":[["t0",0]],"generation":3 | null}}]}]}
 * Output: {"answers":[{"assignment":{"m1":[["t0",0]]}} | {"error":"..."}]}
 */
package org.apache.kafka.clients.consumer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ksim.conformance.Answers;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.clients.consumer.internals.AbstractStickyAssignor.MemberData;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

import java.nio.ByteBuffer;
import java.util.*;

public class ClientAssignors {
    private static final ObjectMapper JSON = Answers.JSON;

    public static void main(String[] args) throws Exception {
        Answers.answerEach(ClientAssignors::assign);
    }

    private static ObjectNode assign(JsonNode testCase) {
        ConsumerPartitionAssignor assignor = assignorNamed(testCase.get("assignor").asText());
        // A HashMap filled in JoinGroup's member order, as ConsumerCoordinator.onLeaderElected builds it.
        Map<String, ConsumerPartitionAssignor.Subscription> subscriptions = new HashMap<>();
        for (JsonNode member : testCase.get("members")) {
            subscriptions.put(member.get("memberId").asText(), subscriptionOf(testCase.get("assignor").asText(), member));
        }
        ConsumerPartitionAssignor.GroupAssignment result =
            assignor.assign(clusterOf(testCase.get("topics")), new ConsumerPartitionAssignor.GroupSubscription(subscriptions));
        ObjectNode assignment = JSON.createObjectNode();
        for (Map.Entry<String, ConsumerPartitionAssignor.Assignment> entry : new TreeMap<>(result.groupAssignment()).entrySet()) {
            assignment.set(entry.getKey(), partitionsJson(entry.getValue().partitions()));
        }
        return assignment;
    }

    private static ConsumerPartitionAssignor assignorNamed(String name) {
        switch (name) {
            case "range": return new RangeAssignor();
            case "roundrobin": return new RoundRobinAssignor();
            case "sticky": return new StickyAssignor();
            case "cooperative-sticky": return new CooperativeStickyAssignor();
            default: throw new IllegalArgumentException("unknown assignor " + name);
        }
    }

    private static ConsumerPartitionAssignor.Subscription subscriptionOf(String assignorName, JsonNode member) {
        List<String> topics = new ArrayList<>();
        member.get("topics").forEach(topic -> topics.add(topic.asText()));
        ByteBuffer userData = null;
        JsonNode stickyData = member.get("userData");
        if (stickyData != null && !stickyData.isNull()) {
            JsonNode generation = stickyData.get("generation");
            Optional<Integer> generationId = generation == null || generation.isNull() ? Optional.empty() : Optional.of(generation.asInt());
            if (assignorName.equals("cooperative-sticky")) {
                // CooperativeStickyAssignor's user data: its generation alone, one INT32.
                userData = ByteBuffer.allocate(4).putInt(generationId.orElse(-1));
                userData.flip();
            } else {
                userData = StickyAssignor.serializeTopicPartitionAssignment(new MemberData(partitionsOf(stickyData.get("partitions")), generationId));
            }
        }
        ConsumerPartitionAssignor.Subscription subscription = new ConsumerPartitionAssignor.Subscription(
            topics, userData, partitionsOf(member.get("ownedPartitions")), member.get("generation").asInt(), Optional.empty());
        JsonNode instanceId = member.get("groupInstanceId");
        if (instanceId != null && !instanceId.isNull()) subscription.setGroupInstanceId(Optional.of(instanceId.asText()));
        return subscription;
    }

    private static Cluster clusterOf(JsonNode topics) {
        Node broker = new Node(0, "localhost", 9092);
        List<PartitionInfo> partitions = new ArrayList<>();
        topics.fields().forEachRemaining(topic -> {
            for (int partition = 0; partition < topic.getValue().asInt(); partition++) {
                partitions.add(new PartitionInfo(topic.getKey(), partition, broker, new Node[] {broker}, new Node[] {broker}));
            }
        });
        return new Cluster("ksim", List.of(broker), partitions, Set.of(), Set.of());
    }

    private static List<TopicPartition> partitionsOf(JsonNode pairs) {
        List<TopicPartition> partitions = new ArrayList<>();
        if (pairs != null) pairs.forEach(pair -> partitions.add(new TopicPartition(pair.get(0).asText(), pair.get(1).asInt())));
        return partitions;
    }

    private static ArrayNode partitionsJson(List<TopicPartition> partitions) {
        ArrayNode array = JSON.createArrayNode();
        for (TopicPartition partition : partitions) {
            ArrayNode pair = array.addArray();
            pair.add(partition.topic());
            pair.add(partition.partition());
        }
        return array;
    }
}
