/* FANN as a benchmark peer that stays up between timed runs.
 *
 * It builds one network, loads the data and the starting parameters the
 * benchmark wrote, and then answers commands on stdin, one answer line per
 * command, so its timed runs take turns with the other systems'.
 *
 * usage: fann_harness FILE ALGORITHM HIDDEN OUTPUT STEEPNESS_HIDDEN
 *                     STEEPNESS_OUTPUT LEARNING_RATE N_SAMPLES SIZE0 SIZE1 ...
 *
 *   FILE           float64 in native byte order: the inputs (N_SAMPLES x
 *                  SIZE0), the targets (N_SAMPLES x SIZE_LAST), then per
 *                  layer the weights (n_in x n_out, row major) and the
 *                  biases (n_out): nncore's parameter layout.
 *   ALGORITHM      batch | incremental
 *   HIDDEN, OUTPUT sigmoid | sigmoid_symmetric | linear
 *
 * commands:
 *   train COUNT EPOCHS RESTORE  COUNT times: if RESTORE, put the starting
 *                               parameters back (not timed); then EPOCHS x
 *                               fann_train_epoch (timed). Answers
 *                               "SECONDS MSE": the timed total, and the MSE
 *                               fann_train_epoch returned last.
 *   params PATH                 write the current parameters to PATH in the
 *                               layout above (float64). Answers "ok".
 *   outputs I                   the network's outputs for sample I.
 *   quit                        (or end of input)
 *
 * Errors go to stderr, with exit status 1 (2 for bad usage).
 */
#define _POSIX_C_SOURCE 199309L
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <doublefann.h>

/* fann_set_weight looks each connection up by a search through the whole
 * network, so fann_set_weight_array costs O(connections^2): fine up to
 * about this many connections, minutes for W5's 200,000. Larger networks
 * are written through the weights array of struct fann (fann_data.h), which
 * holds the weights in fann_get_connection_array's order. */
#define SET_WEIGHT_ARRAY_LIMIT 20000u

static int parse_long(const char *s, const char *name, long min, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end != '\0' || v < min || v > INT_MAX) {
        fprintf(stderr, "fann_harness: %s: got '%s', expected an integer >= %ld\n", name, s, min);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_double(const char *s, const char *name, double *out)
{
    char *end;

    errno = 0;
    *out = strtod(s, &end);
    if (errno || end == s || *end != '\0') {
        fprintf(stderr, "fann_harness: %s: got '%s', expected a number\n", name, s);
        return -1;
    }
    return 0;
}

static int parse_activation(const char *s, enum fann_activationfunc_enum *out)
{
    if (strcmp(s, "sigmoid") == 0)
        *out = FANN_SIGMOID;
    else if (strcmp(s, "sigmoid_symmetric") == 0)
        *out = FANN_SIGMOID_SYMMETRIC;
    else if (strcmp(s, "linear") == 0)
        *out = FANN_LINEAR;
    else {
        fprintf(stderr, "fann_harness: activation: got '%s', expected sigmoid, "
                "sigmoid_symmetric or linear\n", s);
        return -1;
    }
    return 0;
}

static double now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* For every connection, its place in the flat parameter layout. */
static long *parameter_positions(struct fann *ann, unsigned int n_layers,
                                 const unsigned int *sizes, struct fann_connection *connections,
                                 unsigned int n_connections)
{
    unsigned int *layers = malloc(n_layers * sizeof *layers);
    unsigned int *bias = malloc(n_layers * sizeof *bias);
    unsigned long *first = malloc((n_layers + 1) * sizeof *first);
    long *offset = malloc(n_layers * sizeof *offset);
    long *position = malloc((size_t)n_connections * sizeof *position);
    unsigned int l, c;
    int ok = layers && bias && first && offset && position;

    if (ok) {
        fann_get_layer_array(ann, layers);
        fann_get_bias_array(ann, bias);
        first[0] = 0;
        offset[0] = 0;
        for (l = 0; l < n_layers; l++) {
            ok = ok && layers[l] == sizes[l];
            first[l + 1] = first[l] + layers[l] + bias[l];
            if (l + 1 < n_layers)
                offset[l + 1] = offset[l] + (long)(sizes[l] + 1) * sizes[l + 1];
        }
    }
    for (c = 0; ok && c < n_connections; c++) {
        unsigned long from = connections[c].from_neuron, to = connections[c].to_neuron;
        unsigned long i, j;

        for (l = 1; l < n_layers && !(to >= first[l] && to < first[l] + sizes[l]); l++)
            ;
        if (l == n_layers || from < first[l - 1] || from > first[l - 1] + sizes[l - 1]) {
            ok = 0;
            break;
        }
        i = from - first[l - 1];  /* == sizes[l - 1]: the bias neuron */
        j = to - first[l];
        position[c] = offset[l - 1] + (long)(i * sizes[l] + j);
    }
    if (!ok) {
        fprintf(stderr, "fann_harness: the network is not the fully connected layered one expected\n");
        free(position);
        position = NULL;
    }
    free(layers);
    free(bias);
    free(first);
    free(offset);
    return position;
}

int main(int argc, char **argv)
{
    unsigned int n_layers, *sizes, n_in, n_out, n_connections, i, j, c;
    long n_samples, v;
    double steep_hidden, steep_output, learning_rate;
    enum fann_activationfunc_enum hidden, output;
    enum fann_train_enum algorithm;
    size_t n_params = 0;
    double *params, *start_weights;
    long *position;
    struct fann *ann;
    struct fann_train_data *data;
    struct fann_connection *connections;
    FILE *f;
    char line[4200];

    if (argc < 11) {
        fprintf(stderr, "usage: %s FILE ALGORITHM HIDDEN OUTPUT STEEPNESS_HIDDEN STEEPNESS_OUTPUT "
                "LEARNING_RATE N_SAMPLES SIZE0 SIZE1 ...\n", argv[0]);
        return 2;
    }
    if (strcmp(argv[2], "batch") == 0)
        algorithm = FANN_TRAIN_BATCH;
    else if (strcmp(argv[2], "incremental") == 0)
        algorithm = FANN_TRAIN_INCREMENTAL;
    else {
        fprintf(stderr, "fann_harness: algorithm: got '%s', expected batch or incremental\n", argv[2]);
        return 2;
    }
    if (parse_activation(argv[3], &hidden) || parse_activation(argv[4], &output)
        || parse_double(argv[5], "steepness_hidden", &steep_hidden)
        || parse_double(argv[6], "steepness_output", &steep_output)
        || parse_double(argv[7], "learning_rate", &learning_rate)
        || parse_long(argv[8], "n_samples", 1, &n_samples))
        return 2;
    n_layers = (unsigned int)(argc - 9);
    sizes = malloc(n_layers * sizeof *sizes);
    if (sizes == NULL)
        return 1;
    for (i = 0; i < n_layers; i++) {
        if (parse_long(argv[9 + i], "size", 1, &v))
            return 2;
        sizes[i] = (unsigned int)v;
        if (i > 0)
            n_params += (size_t)(sizes[i - 1] + 1) * sizes[i];
    }
    n_in = sizes[0];
    n_out = sizes[n_layers - 1];

    ann = fann_create_standard_array(n_layers, sizes);
    data = fann_create_train((unsigned int)n_samples, n_in, n_out);
    params = malloc(n_params * sizeof *params);
    if (ann == NULL || data == NULL || params == NULL) {
        fprintf(stderr, "fann_harness: allocation failed\n");
        return 1;
    }
    fann_set_activation_function_hidden(ann, hidden);
    fann_set_activation_function_output(ann, output);
    fann_set_activation_steepness_hidden(ann, (fann_type)steep_hidden);
    fann_set_activation_steepness_output(ann, (fann_type)steep_output);
    fann_set_training_algorithm(ann, algorithm);
    fann_set_learning_rate(ann, (float)learning_rate);
    fann_set_learning_momentum(ann, 0.0f);
    /* The default error function (tanh) stretches large errors; the linear
     * one is the plain squared error the other systems minimise. */
    fann_set_train_error_function(ann, FANN_ERRORFUNC_LINEAR);

    f = fopen(argv[1], "rb");
    if (f == NULL) {
        fprintf(stderr, "fann_harness: cannot open %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    for (i = 0; i < (unsigned int)n_samples; i++)
        if (fread(data->input[i], sizeof(double), n_in, f) != n_in) {
            fprintf(stderr, "fann_harness: %s is too short\n", argv[1]);
            return 1;
        }
    for (i = 0; i < (unsigned int)n_samples; i++)
        if (fread(data->output[i], sizeof(double), n_out, f) != n_out) {
            fprintf(stderr, "fann_harness: %s is too short\n", argv[1]);
            return 1;
        }
    if (fread(params, sizeof(double), n_params, f) != n_params || fgetc(f) != EOF) {
        fprintf(stderr, "fann_harness: %s does not hold %zu parameters after the data\n", argv[1], n_params);
        return 1;
    }
    fclose(f);

    n_connections = fann_get_total_connections(ann);
    connections = malloc((size_t)n_connections * sizeof *connections);
    start_weights = malloc((size_t)n_connections * sizeof *start_weights);
    if (connections == NULL || start_weights == NULL || n_connections != n_params) {
        fprintf(stderr, "fann_harness: %u connections, expected %zu\n", n_connections, n_params);
        return 1;
    }
    fann_get_connection_array(ann, connections);
    position = parameter_positions(ann, n_layers, sizes, connections, n_connections);
    if (position == NULL)
        return 1;
    for (c = 0; c < n_connections; c++)
        connections[c].weight = params[position[c]];
    if (n_connections <= SET_WEIGHT_ARRAY_LIMIT)
        fann_set_weight_array(ann, connections, n_connections);
    else
        for (c = 0; c < n_connections; c++)
            ann->weights[c] = connections[c].weight;
    memcpy(start_weights, ann->weights, (size_t)n_connections * sizeof *start_weights);

    setvbuf(stdout, NULL, _IOLBF, 0);
    while (fgets(line, sizeof line, stdin) != NULL) {
        long count, epochs, restore, e;
        char path[4096];

        if (sscanf(line, "train %ld %ld %ld", &count, &epochs, &restore) == 3) {
            double seconds = 0.0, t0;
            float mse = 0.0f;

            for (; count > 0; count--) {
                if (restore)
                    memcpy(ann->weights, start_weights, (size_t)n_connections * sizeof *start_weights);
                t0 = now_seconds();
                for (e = 0; e < epochs; e++)
                    mse = fann_train_epoch(ann, data);
                seconds += now_seconds() - t0;
            }
            printf("%.9g %.9g\n", seconds, (double)mse);
        } else if (sscanf(line, "params %4095s", path) == 1) {
            for (c = 0; c < n_connections; c++)
                params[position[c]] = ann->weights[c];
            f = fopen(path, "wb");
            if (f == NULL || fwrite(params, sizeof(double), n_params, f) != n_params || fclose(f) != 0) {
                fprintf(stderr, "fann_harness: cannot write %s\n", path);
                return 1;
            }
            printf("ok\n");
        } else if (sscanf(line, "outputs %ld", &v) == 1 && v >= 0 && v < n_samples) {
            fann_type *out = fann_run(ann, data->input[v]);

            for (j = 0; j < n_out; j++)
                printf("%s%.17g", j ? " " : "", (double)out[j]);
            printf("\n");
        } else if (strncmp(line, "quit", 4) == 0) {
            break;
        } else {
            fprintf(stderr, "fann_harness: unknown command: %s", line);
            return 1;
        }
    }

    free(start_weights);
    free(connections);
    free(position);
    free(params);
    free(sizes);
    fann_destroy_train(data);
    fann_destroy(ann);
    return 0;
}
