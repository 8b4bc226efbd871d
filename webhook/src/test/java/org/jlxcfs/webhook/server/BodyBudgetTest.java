package org.jlxcfs.webhook.server;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class BodyBudgetTest {
    @Test
    void largeBodiesWaitForRoomAndGiveItBack() throws InterruptedException {
        BodyBudget budget = new BodyBudget(10);
        assertThat(budget.acquire(6, 0)).isTrue();
        assertThat(budget.acquire(6, 10)).as("no room").isFalse();
        assertThat(budget.acquire(4, 0)).isTrue();
        budget.release(6);
        assertThat(budget.acquire(100, 0)).as("at most the whole budget, never more").isFalse();
        budget.release(4);
        assertThat(budget.acquire(100, 0)).isTrue();
        budget.release(100);
        assertThat(budget.acquire(10, 0)).isTrue();
    }
}
