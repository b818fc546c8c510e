/*
 * kafka-mock: a Kafka-protocol test broker for Sluice's tests, nothing more.
 *
 * No Kafka broker can be installed on the machines Sluice is tested on, so the Kafka connectors are tested
 * against the in-memory mock cluster that librdkafka ships for its own tests (rd_kafka_mock_cluster_new, in
 * librdkafka-dev). It speaks the Kafka protocol on loopback ports: Produce, Fetch, ListOffsets, Metadata,
 * consumer groups (JoinGroup, SyncGroup, Heartbeat, OffsetCommit, OffsetFetch) and the idempotent producer
 * (InitProducerId). It does NOT speak TLS or SASL, and refuses the CreateTopics admin request, so topics are
 * created through stdin instead (or by the broker on first produce).
 *
 * Usage:  kafka-mock [broker-count]        (default 1)
 * Build:  cc -O1 -o kafka-mock kafka-mock.c -lrdkafka
 *
 * The first line on stdout is the bootstrap address list (e.g. "127.0.0.1:36625"). Then each line read from
 * stdin is a command, answered by one line, "ok" or "error <reason>":
 *   topic <name> <partitions>             create a topic with that many partitions
 *   fail <api-key> <error-code> <count>   make the next <count> requests of that API fail with that error code
 *                                         (e.g. "fail 0 7 2": the next two Produce requests time out)
 * It exits on SIGTERM or SIGINT, and when stdin is closed, so it never outlives the test process that started it.
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t stopping = 0;

static void on_signal(int sig) {
  (void)sig;
  stopping = 1;
}

/* Without SA_RESTART, a signal interrupts the blocking read of stdin, so the loop sees `stopping` at once. */
static void install_handlers(void) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, NULL);
  sigaction(SIGINT, &action, NULL);
}

/* Parses a whole decimal number within [min, max]; returns 0 when the text is not one. */
static int parse_int(const char *text, long min, long max, long *out) {
  char *end = NULL;
  errno = 0;
  long value = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < min || value > max) return 0;
  *out = value;
  return 1;
}

static void answer(rd_kafka_resp_err_t err) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) printf("ok\n");
  else printf("error %s\n", rd_kafka_err2str(err));
  fflush(stdout);
}

static void run_command(rd_kafka_mock_cluster_t *cluster, char *line) {
  char *words[5] = {0};
  int count = 0;
  for (char *word = strtok(line, " \t\r\n"); word != NULL && count < 5; word = strtok(NULL, " \t\r\n")) words[count++] = word;
  long a = 0, b = 0;
  if (count == 3 && strcmp(words[0], "topic") == 0 && parse_int(words[2], 1, 1000, &a)) {
    answer(rd_kafka_mock_topic_create(cluster, words[1], (int)a, 1));
  } else if (count == 4 && strcmp(words[0], "fail") == 0 && parse_int(words[1], 0, 32767, &a) && parse_int(words[2], -200, 32767, &b)) {
    long times = 0;
    if (!parse_int(words[3], 1, 1000, &times)) {
      printf("error the count must be between 1 and 1000\n");
      fflush(stdout);
      return;
    }
    for (long i = 0; i < times; i++) rd_kafka_mock_push_request_errors(cluster, (int16_t)a, 1, (rd_kafka_resp_err_t)b);
    answer(RD_KAFKA_RESP_ERR_NO_ERROR);
  } else {
    printf("error unknown command; use: topic <name> <partitions> | fail <api-key> <error-code> <count>\n");
    fflush(stdout);
  }
}

int main(int argc, char **argv) {
  long brokers = 1;
  if (argc > 2 || (argc == 2 && !parse_int(argv[1], 1, 9, &brokers))) {
    fprintf(stderr, "usage: kafka-mock [broker-count 1..9]\n");
    return 2;
  }
  char error[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  /* The handle exists only to own the mock cluster; it never connects anywhere, so its own logs are noise. */
  rd_kafka_conf_set(conf, "log_level", "3", error, sizeof error);
  rd_kafka_t *handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (handle == NULL) {
    fprintf(stderr, "kafka-mock: %s\n", error);
    return 1;
  }
  rd_kafka_mock_cluster_t *cluster = rd_kafka_mock_cluster_new(handle, (int)brokers);
  if (cluster == NULL) {
    fprintf(stderr, "kafka-mock: the mock cluster could not be created\n");
    rd_kafka_destroy(handle);
    return 1;
  }
  install_handlers();
  printf("%s\n", rd_kafka_mock_cluster_bootstraps(cluster));
  fflush(stdout);

  char line[1024];
  while (!stopping) {
    if (fgets(line, sizeof line, stdin) == NULL) {
      if (errno == EINTR && !feof(stdin)) {
        clearerr(stdin);
        continue;
      }
      break; /* stdin closed: the parent is gone */
    }
    run_command(cluster, line);
  }
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(handle);
  return 0;
}
