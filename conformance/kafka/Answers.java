/*
 * What every conformance harness does around Kafka's code: reads {"cases":[...]} from stdin, asks
 * for each case's assignment, and prints {"answers":[{"assignment":...} | {"error":"Class: message"}]}
 * on one line of stdout. An exception Kafka throws is an answer too (the tests require ksim to
 * refuse the same case).
 */
package dev.ksim.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.function.Function;

public final class Answers {
    public static final ObjectMapper JSON = new ObjectMapper();

    private Answers() {
    }

    public static void answerEach(Function<JsonNode, ObjectNode> assign) throws Exception {
        JsonNode input = JSON.readTree(System.in);
        ArrayNode answers = JSON.createArrayNode();
        for (JsonNode each : input.get("cases")) {
            ObjectNode answer = answers.addObject();
            try {
                answer.set("assignment", assign.apply(each));
            } catch (RuntimeException error) {
                answer.put("error", error.getClass().getSimpleName() + ": " + error.getMessage());
            }
        }
        ObjectNode output = JSON.createObjectNode();
        output.set("answers", answers);
        System.out.println(JSON.writeValueAsString(output));
    }
}
