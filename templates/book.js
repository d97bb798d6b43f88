/* Sổ tay mô hình, điển hình: tìm và lọc ngay trên trang. Không có script thì mọi mô hình vẫn
   hiện đủ. Script chỉ ẩn, hiện các mục có sẵn và ghi số đếm (textContent): không bao giờ đưa
   chữ của đơn vị vào trang dưới dạng HTML. */
(function () {
  'use strict';
  var block = document.getElementById('du-lieu-so-tay');
  var form = document.getElementById('tim-kiem');
  if (!block || !form || !String.prototype.normalize) { return; }
  var data = JSON.parse(block.textContent);

  // chữ không dấu, chữ thường: "Đường" và "duong" cùng thành "duong"; bỏ các ký tự vô hình
  // (khoảng trắng, nối độ rộng 0, gạch nối mềm, BOM) mà chữ dán từ web, từ Word hay mang theo
  function fold(text) {
    return String(text).replace(/[\u00ad\u180e\u200b-\u200f\u2060-\u2064\ufeff]/g, '')
      .normalize('NFD').replace(/[\u0300-\u036f]/g, '')
      .replace(/đ/g, 'd').replace(/Đ/g, 'd').toLowerCase().replace(/\s+/g, ' ').trim();
  }

  var items = [];
  data.entries.forEach(function (e) {
    var node = document.getElementById('mh-' + e.code);
    if (!node) { return; }
    items.push({
      entry: e,
      node: node,
      text: fold([e.name, e.unit_name, e.performer, e.location, e.field_name, e.content, e.results].join(' '))
    });
  });
  var sections = Array.prototype.slice.call(document.querySelectorAll('section.linh-vuc'));
  var query = document.getElementById('tu-khoa');
  var field = document.getElementById('loc-linh-vuc');
  var unit = document.getElementById('loc-don-vi');
  var year = document.getElementById('loc-nam');
  var stage = document.getElementById('loc-giai-doan');
  var count = document.getElementById('ket-qua');
  var none = document.getElementById('khong-co');

  function apply() {
    var words = fold(query.value).split(' ').filter(Boolean);
    var shown = 0;
    items.forEach(function (item) {
      var e = item.entry;
      var ok = words.every(function (w) { return item.text.indexOf(w) !== -1; }) &&
        (!field.value || String(e.field) === field.value) &&
        (!unit.value || e.unit === unit.value) &&
        (!year.value || e.years.indexOf(Number(year.value)) !== -1) &&
        (!stage.value || e.stage === stage.value);
      item.node.hidden = !ok;
      if (ok) { shown += 1; }
    });
    sections.forEach(function (section) {
      section.hidden = !section.querySelector('article.mo-hinh:not([hidden])');
    });
    var filtered = words.length || field.value || unit.value || year.value || stage.value;
    count.textContent = filtered
      ? 'Có ' + shown + ' trên ' + items.length + ' mô hình, điển hình khớp điều kiện tìm, lọc.'
      : 'Có ' + items.length + ' mô hình, điển hình.';
    none.hidden = shown !== 0;
  }

  form.hidden = false;
  form.addEventListener('input', apply);
  form.addEventListener('change', apply);
  form.addEventListener('submit', function (event) { event.preventDefault(); apply(); });
  form.addEventListener('reset', function () { window.setTimeout(apply, 0); });
}());
