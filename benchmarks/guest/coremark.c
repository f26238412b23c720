/* Memory-bound integer compute of the CoreMark kind: linked-list find/reverse/sort,
 * matrix multiply-accumulate, a state machine over a text buffer and CRC16,
 * each iteration over a working set of a few hundred KiB.  coremark ITERATIONS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST 4096
#define MAT 96
#define TEXT (64 * 1024)

struct node { struct node *next; int key, val; };

static unsigned short crc16(unsigned short crc, unsigned char b)
{
    crc ^= b;
    for (int i = 0; i < 8; i++)
        crc = (crc & 1) ? (crc >> 1) ^ 0xA001 : crc >> 1;
    return crc;
}

static struct node *reverse(struct node *l)
{
    struct node *r = NULL;
    while (l) { struct node *n = l->next; l->next = r; r = l; l = n; }
    return r;
}

static struct node *merge_sort(struct node *l, int by_key)
{   /* bottom-up list merge sort, as core_list_mergesort */
    int insize = 1;
    if (!l) return NULL;
    for (;;) {
        struct node *p = l, *tail = NULL; int merges = 0;
        l = NULL;
        while (p) {
            struct node *q = p; int psize = 0, qsize = insize;
            merges++;
            for (int i = 0; i < insize && q; i++) { psize++; q = q->next; }
            while (psize > 0 || (qsize > 0 && q)) {
                struct node *e;
                if (!psize) { e = q; q = q->next; qsize--; }
                else if (!qsize || !q) { e = p; p = p->next; psize--; }
                else if ((by_key ? p->key - q->key : p->val - q->val) <= 0) { e = p; p = p->next; psize--; }
                else { e = q; q = q->next; qsize--; }
                if (tail) tail->next = e; else l = e;
                tail = e;
            }
            p = q;
        }
        tail->next = NULL;
        if (merges <= 1) return l;
        insize *= 2;
    }
}

static int state_machine(const char *s, int n)
{   /* counts numbers, floats, exponents, invalid tokens as core_state does */
    int counts[5] = {0}, st = 0;
    for (int i = 0; i < n; i++) {
        char c = s[i];
        if (c == ',') { counts[st]++; st = 0; continue; }
        switch (st) {
        case 0: st = (c >= '0' && c <= '9') ? 1 : (c == '+' || c == '-') ? 2 : 4; break;
        case 1: st = (c == '.') ? 3 : (c >= '0' && c <= '9') ? 1 : 4; break;
        case 2: st = (c >= '0' && c <= '9') ? 1 : 4; break;
        case 3: st = (c == 'e' || c == 'E') ? 2 : (c >= '0' && c <= '9') ? 3 : 4; break;
        default: break;
        }
    }
    return counts[1] * 7 + counts[3] * 5 + counts[4];
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 100;
    struct node *pool = malloc(LIST * sizeof *pool), *list = NULL;
    static int A[MAT][MAT], B[MAT][MAT], C[MAT][MAT];
    char *text = malloc(TEXT);
    unsigned seed = 12345; unsigned short crc = 0;
    const char *tokens[] = {"5012", "1234", "-874", "+122", "35.54", "-110.7", "1.2e-3", "T0.3e", "-.5", "x"};

    for (int i = 0; i < LIST; i++) {   /* scatter the nodes: next pointers jump around */
        seed = seed * 1103515245 + 12345;
        int j = (i * 2654435761u) % LIST;
        (void)j;
        pool[i].key = (int)(seed >> 8) & 0xffff; pool[i].val = i;
    }
    for (int i = 0; i < LIST; i++) {
        int j = (int)((i * 2654435761u) % LIST);
        pool[j].next = list; list = &pool[j];
    }
    for (int i = 0; i < MAT; i++)
        for (int j = 0; j < MAT; j++) { A[i][j] = (i * 7 + j) & 0xff; B[i][j] = (i ^ j) & 0xff; }
    for (int i = 0, k = 0; i < TEXT - 16; k++) {
        const char *t = tokens[k % 10]; int len = strlen(t);
        memcpy(text + i, t, len); i += len; text[i++] = ',';
    }

    for (long it = 0; it < iters; it++) {
        list = merge_sort(list, (it & 1));
        list = reverse(list);
        int found = 0;
        for (struct node *p = list; p; p = p->next)
            if (p->key == (int)(it & 0xffff) || p->val == (int)it) found++;
        crc = crc16(crc, (unsigned char)found);
        for (int i = 0; i < MAT; i++)
            for (int j = 0; j < MAT; j++) {
                int s = 0;
                for (int k = 0; k < MAT; k++) s += A[i][k] * B[k][j];
                C[i][j] += s ^ (int)it;
            }
        crc = crc16(crc, (unsigned char)C[it % MAT][(it * 3) % MAT]);
        int r = state_machine(text, TEXT);
        crc = crc16(crc, (unsigned char)r);
        for (int i = 0; i < TEXT; i += 64) crc = crc16(crc, (unsigned char)text[i]);
        text[it % TEXT] = text[it % TEXT] == ',' ? ',' : '0' + (it % 10);
    }
    printf("crc %04x\n", crc);
    return 0;
}
