package org.jlxcfs.webhook.server;

import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GracefulStopTest {
    @Test
    void aStopFinishesTheReviewInFlightThenRefusesConnections() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        FakeReviewer fake = new FakeReviewer();
        Reviewer slow = (path, body) -> {
            entered.countDown();
            try {
                Thread.sleep(700);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return fake.review(path, body);
        };
        TestServer s = new TestServer(TestServer.CA.issue("stop").identity(), slow, null);
        try (HttpClient client = TestServer.client(TestServer.CA)) {
            CompletableFuture<HttpResponse<String>> inFlight = CompletableFuture.supplyAsync(() -> {
                try {
                    return s.review(client, "in-flight");
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
            long start = System.nanoTime();
            s.close();
            assertThat(inFlight.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("no waiting beyond the review").isLessThan(1900);
            try (HttpClient fresh = TestServer.client(TestServer.CA)) {
                assertThatThrownBy(() -> s.review(fresh, "after")).isInstanceOf(ConnectException.class);
            }
        } finally {
            s.close();
        }
    }
}
