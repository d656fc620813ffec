/* Times FANN batch training; note the comparison includes FANN's bias neurons.
 *
 * usage: fann_harness n_samples n_in n_hidden n_out epochs repeats seed
 * prints one JSON line with seconds per epoch for each repeat.
 */
#define _POSIX_C_SOURCE 199309L
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <doublefann.h>

static int parse_int(const char *s, const char *name, long min, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end != '\0' || v < min || v > INT_MAX) {
        fprintf(stderr, "fann_harness: invalid %s '%s' (need integer >= %ld)\n",
                name, s, min);
        return -1;
    }
    *out = v;
    return 0;
}

static double now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    static const char *names[] = {"n_samples", "n_in", "n_hidden", "n_out",
                                  "epochs", "repeats", "seed"};
    long a[7];
    unsigned int n_samples, n_in, n_hidden, n_out, i, j;
    long epochs, repeats, seed, e, r;
    struct fann *ann;
    struct fann_train_data *data;
    double *secs;

    if (argc != 8) {
        fprintf(stderr, "usage: %s n_samples n_in n_hidden n_out epochs "
                "repeats seed\n", argv[0]);
        return 2;
    }
    for (i = 0; i < 7; i++)
        if (parse_int(argv[i + 1], names[i], i == 6 ? 0 : 1, &a[i]) != 0)
            return 2;
    n_samples = (unsigned int)a[0];
    n_in = (unsigned int)a[1];
    n_hidden = (unsigned int)a[2];
    n_out = (unsigned int)a[3];
    epochs = a[4];
    repeats = a[5];
    seed = a[6];

    ann = fann_create_standard(3, n_in, n_hidden, n_out);
    data = fann_create_train(n_samples, n_in, n_out);
    secs = malloc((size_t)repeats * sizeof *secs);
    if (ann == NULL || data == NULL || secs == NULL) {
        fprintf(stderr, "fann_harness: allocation failed\n");
        if (ann) fann_destroy(ann);
        if (data) fann_destroy_train(data);
        free(secs);
        return 1;
    }
    fann_set_activation_function_hidden(ann, FANN_SIGMOID);
    fann_set_activation_function_output(ann, FANN_SIGMOID);
    fann_set_training_algorithm(ann, FANN_TRAIN_BATCH);
    fann_set_learning_rate(ann, 1.0f);

    /* FANN seeds rand() from the clock on creation; reseed so data is reproducible. */
    srand((unsigned int)seed);
    for (i = 0; i < n_samples; i++) {
        for (j = 0; j < n_in; j++)
            data->input[i][j] = (fann_type)rand() / ((fann_type)RAND_MAX + 1.0);
        for (j = 0; j < n_out; j++)
            data->output[i][j] = (fann_type)(rand() & 1);
    }

    for (r = 0; r < repeats; r++) {
        double t0, t1;

        /* Same starting weights each repeat so every repeat does identical work. */
        srand((unsigned int)seed + 1u);
        fann_randomize_weights(ann, -0.1f, 0.1f);
        t0 = now_seconds();
        for (e = 0; e < epochs; e++)
            fann_train_epoch(ann, data);
        t1 = now_seconds();
        secs[r] = (t1 - t0) / (double)epochs;
    }

    printf("{\"system\": \"fann\", \"n_samples\": %u, \"n_in\": %u, "
           "\"n_hidden\": %u, \"n_out\": %u, \"epochs\": %ld, "
           "\"seconds_per_epoch\": [", n_samples, n_in, n_hidden, n_out, epochs);
    for (r = 0; r < repeats; r++)
        printf("%s%.9g", r ? ", " : "", secs[r]);
    printf("]}\n");

    free(secs);
    fann_destroy_train(data);
    fann_destroy(ann);
    return 0;
}
