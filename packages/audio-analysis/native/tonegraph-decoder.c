/*
 * tonegraph-decoder: a long-lived audio decoding process for the analysis
 * workers. Each worker thread keeps one running and sends it files one at a
 * time, so the per-file cost is the decode alone, not starting an ffmpeg
 * process (which loads ~200 shared libraries: ~80 ms of CPU for every file).
 *
 * It decodes with the same libraries as the ffmpeg command line
 * (libavformat, libavcodec, libswresample) and produces the same samples as
 * `ffmpeg -i file:PATH -map 0:a:0 -ac C -ar R -f f32le pipe:1` for the files
 * it accepts: those whose first audio stream decodes at exactly the
 * requested rate and channel count, in the default channel order. Anything
 * else (another rate or layout, a format change mid-stream, a decode error)
 * is reported as an error and the caller hands the file to ffmpeg, whose
 * verdict counts. It never decides that a file is bad.
 *
 * Protocol (little-endian), one request at a time:
 *   stdin:  u32 channels, u32 sample rate, u32 path length, path bytes
 *   stdout: records of u8 type, u32 payload length, payload:
 *           'P' interleaved float32 PCM (whole frames), 'D' done (empty),
 *           'X' error (UTF-8 message; the process is ready for the next request)
 * End of stdin ends the process. Writes block while the reader is behind,
 * so at most a pipe's worth of PCM is in flight.
 *
 * Build: see packages/audio-analysis/README.md ("The decoder process").
 * Linked against Debian's FFmpeg libraries (built with GPL parts), the
 * binary is an optional, separately run component: without it, every file
 * goes to the ffmpeg command line instead.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>

#define MAX_PATH_BYTES (1u << 16)
#define MAX_CHANNELS 64u
#define ERROR_BYTES 512

static int read_full(void *buffer, size_t size) {
  uint8_t *p = buffer;
  while (size > 0) {
    ssize_t n = read(STDIN_FILENO, p, size);
    if (n == 0) return 0;
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += n;
    size -= (size_t)n;
  }
  return 1;
}

static void write_full(const void *buffer, size_t size) {
  const uint8_t *p = buffer;
  while (size > 0) {
    ssize_t n = write(STDOUT_FILENO, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      /* The reader is gone: nothing left to do. */
      _exit(0);
    }
    p += n;
    size -= (size_t)n;
  }
}

static void write_record(char type, const void *payload, uint32_t length) {
  uint8_t header[5] = {(uint8_t)type, (uint8_t)length, (uint8_t)(length >> 8), (uint8_t)(length >> 16),
                       (uint8_t)(length >> 24)};
  write_full(header, sizeof header);
  if (length > 0) write_full(payload, length);
}

static uint32_t le32(const uint8_t *b) {
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

struct job {
  AVFormatContext *format;
  AVCodecContext *codec;
  SwrContext *swr;
  AVPacket *packet;
  AVFrame *frame;
  uint8_t *out;
  int out_frames;
  int stream;
  int channels;
  int rate;
  int swr_format;
  AVChannelLayout swr_layout;
  char error[ERROR_BYTES];
};

static int fail(struct job *job, const char *what, int code) {
  char reason[AV_ERROR_MAX_STRING_SIZE] = "";
  if (code < 0) av_strerror(code, reason, sizeof reason);
  snprintf(job->error, sizeof job->error, "%s%s%s", what, code < 0 ? ": " : "", reason);
  return -1;
}

/* Converts one decoded frame to interleaved float32 and writes it as a 'P' record. */
static int emit(struct job *job, AVFrame *frame) {
  if (frame->sample_rate != job->rate) return fail(job, "decoded sample rate differs from the requested one", 0);
  if (frame->ch_layout.nb_channels != job->channels)
    return fail(job, "decoded channel count differs from the requested one", 0);
  /* The command line remixes a layout other than the default for its channel count. */
  AVChannelLayout wanted;
  av_channel_layout_default(&wanted, job->channels);
  int native = frame->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC ||
               av_channel_layout_compare(&frame->ch_layout, &wanted) == 0;
  av_channel_layout_uninit(&wanted);
  if (!native) return fail(job, "channel layout would be remixed", 0);
  if (!job->swr) {
    int code = swr_alloc_set_opts2(&job->swr, &frame->ch_layout, AV_SAMPLE_FMT_FLT, frame->sample_rate,
                                   &frame->ch_layout, frame->format, frame->sample_rate, 0, NULL);
    if (code >= 0) code = swr_init(job->swr);
    if (code < 0) return fail(job, "cannot convert the decoded samples", code);
    job->swr_format = frame->format;
    av_channel_layout_copy(&job->swr_layout, &frame->ch_layout);
  } else if (frame->format != job->swr_format || av_channel_layout_compare(&frame->ch_layout, &job->swr_layout)) {
    return fail(job, "decoded format changed mid-stream", 0);
  }
  if (frame->nb_samples > job->out_frames) {
    av_freep(&job->out);
    job->out = av_malloc((size_t)frame->nb_samples * (size_t)job->channels * sizeof(float));
    if (!job->out) return fail(job, "out of memory", AVERROR(ENOMEM));
    job->out_frames = frame->nb_samples;
  }
  uint8_t *out[1] = {job->out};
  int converted = swr_convert(job->swr, out, job->out_frames, (const uint8_t **)frame->extended_data,
                              frame->nb_samples);
  if (converted < 0) return fail(job, "cannot convert the decoded samples", converted);
  if (converted > 0) write_record('P', job->out, (uint32_t)converted * (uint32_t)job->channels * sizeof(float));
  return 0;
}

static int drain(struct job *job) {
  for (;;) {
    int code = avcodec_receive_frame(job->codec, job->frame);
    if (code == AVERROR(EAGAIN) || code == AVERROR_EOF) return 0;
    if (code < 0) return fail(job, "decode error", code);
    code = emit(job, job->frame);
    av_frame_unref(job->frame);
    if (code < 0) return -1;
  }
}

static int decode(struct job *job, const char *path) {
  AVDictionary *options = NULL;
  /* Local files only, whatever the path looks like. */
  av_dict_set(&options, "protocol_whitelist", "file", 0);
  size_t url_size = strlen(path) + 6;
  char *url = malloc(url_size);
  if (!url) return fail(job, "out of memory", AVERROR(ENOMEM));
  snprintf(url, url_size, "file:%s", path);
  int code = avformat_open_input(&job->format, url, NULL, &options);
  free(url);
  av_dict_free(&options);
  if (code < 0) return fail(job, "cannot open", code);
  code = avformat_find_stream_info(job->format, NULL);
  if (code < 0) return fail(job, "cannot read stream information", code);
  job->stream = -1;
  for (unsigned i = 0; i < job->format->nb_streams; i++) {
    if (job->format->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO) {
      job->stream = (int)i;
      break;
    }
  }
  if (job->stream < 0) return fail(job, "no audio stream", 0);
  for (unsigned i = 0; i < job->format->nb_streams; i++) {
    if ((int)i != job->stream) job->format->streams[i]->discard = AVDISCARD_ALL;
  }
  AVStream *stream = job->format->streams[job->stream];
  const AVCodec *codec = avcodec_find_decoder(stream->codecpar->codec_id);
  if (!codec) return fail(job, "no decoder for the audio codec", 0);
  job->codec = avcodec_alloc_context3(codec);
  if (!job->codec) return fail(job, "out of memory", AVERROR(ENOMEM));
  code = avcodec_parameters_to_context(job->codec, stream->codecpar);
  if (code < 0) return fail(job, "bad codec parameters", code);
  job->codec->pkt_timebase = stream->time_base;
  code = avcodec_open2(job->codec, codec, NULL);
  if (code < 0) return fail(job, "cannot open the decoder", code);
  job->packet = av_packet_alloc();
  job->frame = av_frame_alloc();
  if (!job->packet || !job->frame) return fail(job, "out of memory", AVERROR(ENOMEM));
  for (;;) {
    code = av_read_frame(job->format, job->packet);
    if (code == AVERROR_EOF) break;
    if (code < 0) return fail(job, "read error", code);
    if (job->packet->stream_index == job->stream) {
      code = avcodec_send_packet(job->codec, job->packet);
      av_packet_unref(job->packet);
      /* The command line logs a damaged packet and goes on; leave such files to it. */
      if (code < 0) return fail(job, "decode error", code);
      if (drain(job) < 0) return -1;
    } else {
      av_packet_unref(job->packet);
    }
  }
  code = avcodec_send_packet(job->codec, NULL);
  if (code < 0) return fail(job, "decode error", code);
  return drain(job);
}

static void release(struct job *job) {
  av_frame_free(&job->frame);
  av_packet_free(&job->packet);
  avcodec_free_context(&job->codec);
  avformat_close_input(&job->format);
  swr_free(&job->swr);
  av_channel_layout_uninit(&job->swr_layout);
  av_freep(&job->out);
}

int main(int argc, char **argv) {
  /* --max-memory-mb N: a bound on the address space, so a runaway decode fails rather than swaps. */
  for (int i = 1; i + 1 < argc; i++) {
    if (strcmp(argv[i], "--max-memory-mb") == 0) {
      rlim_t bytes = (rlim_t)strtoull(argv[i + 1], NULL, 10) << 20;
      struct rlimit limit = {bytes, bytes};
      if (bytes > 0) setrlimit(RLIMIT_AS, &limit);
    }
  }
  if (argc > 1 && strcmp(argv[1], "--version") == 0) {
    printf("tonegraph-decoder 1 (libavformat %s, libavcodec %s)\n", AV_STRINGIFY(LIBAVFORMAT_VERSION),
           AV_STRINGIFY(LIBAVCODEC_VERSION));
    return 0;
  }
  av_log_set_level(AV_LOG_QUIET);
  char *path = malloc(MAX_PATH_BYTES + 1);
  if (!path) return 1;
  for (;;) {
    uint8_t header[12];
    int got = read_full(header, sizeof header);
    if (got <= 0) return got == 0 ? 0 : 1;
    uint32_t channels = le32(header), rate = le32(header + 4), length = le32(header + 8);
    if (length == 0 || length > MAX_PATH_BYTES) {
      /* The stream is out of step: stop rather than read a path as a header. */
      return 2;
    }
    if (read_full(path, length) <= 0) return 1;
    path[length] = '\0';
    struct job job = {0};
    job.channels = (int)channels;
    job.rate = (int)rate;
    int result;
    if (channels == 0 || channels > MAX_CHANNELS || rate == 0 || memchr(path, '\0', length)) {
      snprintf(job.error, sizeof job.error, "bad request");
      result = -1;
    } else {
      result = decode(&job, path);
    }
    release(&job);
    if (result < 0)
      write_record('X', job.error, (uint32_t)strlen(job.error));
    else
      write_record('D', NULL, 0);
  }
}
