/*
 * Raw librdkafka baseline for `make bench`: the same client settings as MaestroKafka, property
 * for property (idempotent producer with acks=all, linger 5 ms and a 120 s delivery timeout;
 * consumer group with manual offset store and auto commit), with no wrapper in between.
 * Records name their topic by handle, as MaestroKafka's producer does (by name, librdkafka
 * looks the topic up under its client-wide write lock for every record). Records have no key
 * and sticky partitioning is off, so they spread evenly over the topic's partitions (the mock
 * broker keeps only about 5 MB per partition).
 *
 *   RawKafkaBench produce <bootstrap> <topic> <count> <size>
 *   RawKafkaBench consume <bootstrap> <topic> <count>
 *
 * Prints one line: RESULT <mode> raw <count> <seconds> <msg/s>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <librdkafka/rdkafka.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void set(rd_kafka_conf_t *conf, const char *key, const char *value) {
    char errstr[512];
    if (rd_kafka_conf_set(conf, key, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "%s: %s\n", key, errstr);
        exit(2);
    }
}

static long delivered = 0, failed = 0;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *message, void *opaque) {
    (void)rk; (void)opaque;
    if (message->err) failed++; else delivered++;
}

static int produce(const char *bootstrap, const char *topic, long count, size_t size) {
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", bootstrap);
    set(conf, "client.id", "maestro");
    set(conf, "delivery.timeout.ms", "120000");
    set(conf, "enable.idempotence", "true");
    set(conf, "acks", "all");
    set(conf, "linger.ms", "5");
    set(conf, "queue.buffering.max.messages", "1000000");
    set(conf, "sticky.partitioning.linger.ms", "0");
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) { fprintf(stderr, "%s\n", errstr); return 2; }
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    if (!rkt) { fprintf(stderr, "%s: %s\n", topic, rd_kafka_err2str(rd_kafka_last_error())); return 2; }
    char *payload = malloc(size);
    memset(payload, 'x', size);

    /* Warm-up: one acknowledged record, so connection setup and producer id are not timed. */
    rd_kafka_producev(rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_VALUE(payload, size), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    rd_kafka_flush(rk, 30000);
    if (delivered != 1) { fprintf(stderr, "warm-up record not delivered\n"); return 1; }
    delivered = 0;

    double start = now();
    for (long i = 0; i < count; i++) {
        for (;;) {
            rd_kafka_resp_err_t err = rd_kafka_producev(rk, RD_KAFKA_V_RKT(rkt),
                                                        RD_KAFKA_V_VALUE(payload, size), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                                        RD_KAFKA_V_END);
            if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) { fprintf(stderr, "produce: %s\n", rd_kafka_err2str(err)); return 1; }
            rd_kafka_poll(rk, 1);
        }
        rd_kafka_poll(rk, 0);
    }
    rd_kafka_flush(rk, 120000);
    double elapsed = now() - start;
    if (delivered != count) { fprintf(stderr, "delivered %ld of %ld (%ld failed)\n", delivered, count, failed); return 1; }
    printf("RESULT produce raw %ld %.3f %.0f\n", count, elapsed, count / elapsed);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    free(payload);
    return 0;
}

static int consume(const char *bootstrap, const char *topic, long count) {
    char errstr[512], group[64];
    snprintf(group, sizeof group, "bench-raw-%ld", (long)time(NULL));
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", bootstrap);
    set(conf, "client.id", "maestro");
    set(conf, "group.id", group);
    set(conf, "auto.offset.reset", "earliest");
    set(conf, "enable.auto.commit", "true");
    set(conf, "auto.commit.interval.ms", "1000");
    set(conf, "enable.auto.offset.store", "false");
    set(conf, "enable.partition.eof", "false");
    set(conf, "queued.min.messages", "1000000");
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!rk) { fprintf(stderr, "%s\n", errstr); return 2; }
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);

    long received = 0;
    size_t bytes = 0;
    double start = 0;
    double deadline = now() + 300;
    while (received < count) {
        if (now() > deadline) { fprintf(stderr, "consumed only %ld of %ld\n", received, count); return 1; }
        rd_kafka_message_t *message = rd_kafka_consumer_poll(rk, 100);
        if (!message) continue;
        if (!message->err) {
            if (received == 0) start = now();
            received++;
            bytes += message->len;
            rd_kafka_offset_store(message->rkt, message->partition, message->offset);
        }
        rd_kafka_message_destroy(message);
    }
    double elapsed = now() - start;
    printf("RESULT consume raw %ld %.3f %.0f\n", count, elapsed, count / elapsed);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return bytes > 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc >= 5 && strcmp(argv[1], "produce") == 0) return produce(argv[2], argv[3], atol(argv[4]), argc > 5 ? (size_t)atol(argv[5]) : 100);
    if (argc >= 5 && strcmp(argv[1], "consume") == 0) return consume(argv[2], argv[3], atol(argv[4]));
    fprintf(stderr, "usage: RawKafkaBench produce|consume <bootstrap> <topic> <count> [size]\n");
    return 2;
}
